import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tinyConfig } from './decoder-config-presets';
import { decoderParameterShapes } from './decoder-parameter-shapes';
import { createRandomModel, type DecoderModel } from './random-model';

function digest(model: DecoderModel): string {
  const hash = createHash('sha256');
  for (const [name, values] of model.parameters)
    hash.update(name).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return hash.digest('hex');
}

describe('createRandomModel', () => {
  const config = tinyConfig({ tieWordEmbeddings: false });

  it('has every parameter of the config, in order, with product(shape) values', () => {
    const model = createRandomModel(config, { seed: 1 });
    const shapes = decoderParameterShapes(config);
    expect([...model.parameters.keys()]).toEqual(shapes.map(({ name }) => name));
    for (const { name, shape } of shapes)
      expect(model.parameters.get(name)!.length).toBe(shape.reduce((a, b) => a * b, 1));
    expect(model.config).toBe(config);
  });

  it('initialises matrices N(0, initStd²), norms to 1, biases to 0', () => {
    const model = createRandomModel(tinyConfig({ hiddenSize: 256, numAttentionHeads: 8, vocabSize: 512 }), {
      seed: 3,
      initStd: 0.05,
    });
    expect(model.parameters.get('model.norm.weight')!.every((value) => value === 1)).toBe(true);
    expect(model.parameters.get('model.layers.1.input_layernorm.weight')!.every((value) => value === 1)).toBe(true);
    expect(model.parameters.get('model.layers.0.self_attn.q_proj.bias')!.every((value) => value === 0)).toBe(true);
    const embedding = model.parameters.get('model.embed_tokens.weight')!; // 131072 values
    const mean = embedding.reduce((sum, value) => sum + value, 0) / embedding.length;
    const std = Math.sqrt(embedding.reduce((sum, value) => sum + (value - mean) ** 2, 0) / embedding.length);
    expect(Math.abs(mean)).toBeLessThan(0.001); // standard error 0.05/sqrt(131072) ≈ 0.00014
    expect(Math.abs(std - 0.05)).toBeLessThan(0.001);
  });

  it('is deterministic: same seed same bytes, another seed other bytes', () => {
    const first = createRandomModel(config, { seed: 1234 });
    const again = createRandomModel(config, { seed: 1234 });
    const other = createRandomModel(config, { seed: 1235 });
    expect(digest(again)).toBe(digest(first));
    expect(digest(other)).not.toBe(digest(first));
    for (const [name, values] of other.parameters) {
      if (name.endsWith('norm.weight') || name.endsWith('.bias')) continue;
      expect(values, name).not.toEqual(first.parameters.get(name));
    }
  });

  it('draws the embedding from the same stream as the Python reference (tools/seeded-random-reference.py)', () => {
    const embedding = createRandomModel(tinyConfig(), { seed: 7 }).parameters.get('model.embed_tokens.weight')!;
    const reference = [0.00169841381, 0.025374158, 0.00515603836, -0.019768679, -0.0145903674, -0.00735767783];
    for (const [index, value] of reference.entries()) expect(Math.abs(embedding[index]! - value)).toBeLessThan(1e-9);
  });

  it("a tensor's values depend on the seed and its name only, not on other tensors", () => {
    const small = createRandomModel(tinyConfig({ numHiddenLayers: 1 }), { seed: 9 });
    const large = createRandomModel(tinyConfig({ numHiddenLayers: 3, vocabSize: 256 }), { seed: 9 });
    const name = 'model.layers.0.mlp.down_proj.weight';
    expect(large.parameters.get(name)).toEqual(small.parameters.get(name));
    expect(large.parameters.get('model.layers.1.mlp.down_proj.weight')).not.toEqual(small.parameters.get(name));
  });
});
