import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '@research-ts/datasets';
import { loadModelDirectory } from '@research-ts/policy-onnx';
import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { initModel } from './init-model';

const world = generateWorld({
  seed: 3,
  people: 6,
  places: 3,
  organisations: 3,
  countries: 2,
  personNameWords: 1,
  organisationSuffixes: [],
  questionsPerHop: { 1: 6, 2: 0, 3: 0 },
  split: 'question',
});

function standardDeviation(values: Float32Array): number {
  let sum = 0;
  let squares = 0;
  for (const value of values) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / values.length;
  return Math.sqrt(squares / values.length - mean * mean);
}

describe('initModel', () => {
  it('draws the embeddings with their own standard deviation and every other matrix with 0.02', async () => {
    const root = mkdtempSync(join(tmpdir(), 'research-ts-init-'));
    const plain = await initModel({ directory: join(root, 'plain'), size: 'micro', seed: 5, tokenizer: 'word', world });
    const wide = await initModel({
      directory: join(root, 'wide'),
      size: 'micro',
      seed: 5,
      tokenizer: 'word',
      world,
      embeddingInitStd: 0.5,
    });
    expect(wide.parameterCount).toBe(plain.parameterCount);
    const [before, after] = await Promise.all([
      loadModelDirectory(join(root, 'plain')),
      loadModelDirectory(join(root, 'wide')),
    ]);
    const embeddingsBefore = before.parameters.get('model.embed_tokens.weight')!;
    const embeddingsAfter = after.parameters.get('model.embed_tokens.weight')!;
    // the same draw, scaled by 0.5 / 0.02 = 25
    expect(embeddingsAfter[7]).toBeCloseTo(embeddingsBefore[7]! * 25, 5);
    expect(standardDeviation(embeddingsBefore)).toBeGreaterThan(0.017);
    expect(standardDeviation(embeddingsBefore)).toBeLessThan(0.023);
    expect(standardDeviation(embeddingsAfter)).toBeGreaterThan(0.43);
    expect(standardDeviation(embeddingsAfter)).toBeLessThan(0.57);
    // other weights are untouched
    expect(after.parameters.get('model.layers.0.mlp.up_proj.weight')).toEqual(
      before.parameters.get('model.layers.0.mlp.up_proj.weight'),
    );
  });

  it('uses the size’s embedding scale by default (tiny: 0.1) and rejects a scale that is not positive', async () => {
    const root = mkdtempSync(join(tmpdir(), 'research-ts-init-'));
    await initModel({ directory: join(root, 'tiny'), size: 'tiny', seed: 5, tokenizer: 'word', world });
    const tiny = await loadModelDirectory(join(root, 'tiny'));
    const deviation = standardDeviation(tiny.parameters.get('model.embed_tokens.weight')!);
    expect(deviation).toBeGreaterThan(0.09);
    expect(deviation).toBeLessThan(0.11);
    const failing = initModel({
      directory: join(root, 'bad'),
      size: 'micro',
      seed: 5,
      tokenizer: 'word',
      world,
      embeddingInitStd: 0,
    });
    await expect(failing).rejects.toThrow(InvalidConfigError);
    await expect(
      initModel({
        directory: join(root, 'bad2'),
        size: 'micro',
        seed: 5,
        tokenizer: 'word',
        world,
        embeddingInitStd: -1,
      }),
    ).rejects.toThrow(/embeddingInitStd.*must be > 0 \(got -1\)/);
  });
});
