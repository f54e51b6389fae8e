import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandomModel, loadModelDirectory, saveModelDirectory, tinyConfig } from '@research-ts/policy-onnx';
import { InvalidInputError } from '@research-ts/spec';
import { temporarySibling } from '@research-ts/spec/node';
import { describe, expect, it } from 'vitest';
import {
  checkpointName,
  findLatestCheckpoint,
  listCheckpoints,
  loadCheckpointState,
  pruneCheckpoints,
  saveCheckpoint,
  verifyCheckpoint,
} from './checkpoint';

const model = createRandomModel(tinyConfig({ hiddenSize: 16, intermediateSize: 16, vocabSize: 32 }), { seed: 3 });

function optimizerState(seed: number) {
  const parameters: Record<string, { step: number; expAvg: Float32Array; expAvgSq: Float32Array }> = {};
  for (const [name, value] of model.parameters) {
    parameters[name] = {
      step: seed,
      expAvg: Float32Array.from(value, (_, index) => Math.sin(index + seed) * 1e-3),
      expAvgSq: Float32Array.from(value, (_, index) => (index % 7) * 1e-6 + seed),
    };
  }
  return { step: seed, parameters };
}

async function save(root: string, step: number) {
  return saveCheckpoint(root, {
    step,
    trainer: { step, skippedSteps: 0, optimizer: optimizerState(step) },
    rng: { words: [step, 2, 3, 4] },
    extra: { warmupDone: true },
    writeModel: (directory) => saveModelDirectory(directory, model).then(() => undefined),
  });
}

describe('checkpoints', () => {
  it('round-trips the model, the optimizer state (bit-exact), the RNG state and the step', async () => {
    const root = await mkdtemp(join(tmpdir(), 'research-ts-ckpt-'));
    const directory = await save(root, 12);
    expect(directory).toBe(join(root, checkpointName(12)));
    expect(checkpointName(12)).toBe('step-000012');
    expect(await verifyCheckpoint(directory)).toBeUndefined();
    const state = await loadCheckpointState(directory);
    expect(state.step).toBe(12);
    expect(state.rng).toEqual({ words: [12, 2, 3, 4] });
    expect(state.extra).toEqual({ warmupDone: true });
    expect(state.trainer.step).toBe(12);
    const expected = optimizerState(12);
    expect(Object.keys(state.trainer.optimizer.parameters)).toEqual(Object.keys(expected.parameters));
    for (const [name, moments] of Object.entries(expected.parameters)) {
      expect(state.trainer.optimizer.parameters[name]!.expAvg).toEqual(moments.expAvg);
      expect(state.trainer.optimizer.parameters[name]!.expAvgSq).toEqual(moments.expAvgSq);
    }
    const loaded = await loadModelDirectory(join(directory, 'model'));
    for (const [name, value] of model.parameters) expect(loaded.parameters.get(name)).toEqual(value);
    const manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual([
      'model/config.json',
      'model/generation_config.json',
      'model/model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    for (const entry of Object.values(manifest.files) as { sha256: string }[]) {
      expect(Object.keys(entry)).toEqual(['sha256', 'bytes']); // the manifest format of every earlier checkpoint
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('the newest checkpoint that verifies wins; corrupt, truncated or manifest-less ones are skipped with a reason', async () => {
    const root = await mkdtemp(join(tmpdir(), 'research-ts-ckpt-'));
    for (const step of [1, 2, 3, 4]) await save(root, step);
    // 4: a flipped byte in the optimizer file; 3: a truncated model; 2: no manifest (a crash before it was written cannot leave this, but a user might)
    const flip = join(root, checkpointName(4), 'optimizer.safetensors');
    const bytes = await readFile(flip);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(flip, bytes);
    const truncate = join(root, checkpointName(3), 'model', 'model.safetensors');
    await writeFile(truncate, (await readFile(truncate)).subarray(0, 100));
    await rm(join(root, checkpointName(2), 'manifest.json'));
    // a leftover staging folder of a killed save, and a stray folder, are ignored
    await mkdir(join(root, '.partial-step-000009-abcd'));
    await mkdir(temporarySibling(join(root, checkpointName(9)), 'staging'));
    await mkdir(join(root, 'notes'));
    const latest = await findLatestCheckpoint(root);
    expect(latest?.step).toBe(1);
    expect(latest?.rejected.map((entry) => entry.reason)).toEqual([
      'optimizer.safetensors does not match its sha256',
      'model/model.safetensors has 100 bytes, the manifest says ' +
        (await manifestBytes(root, 3, 'model/model.safetensors')),
      expect.stringMatching(/^manifest.json is missing or unreadable/),
    ]);
    await expect(loadCheckpointState(join(root, checkpointName(4)))).rejects.toThrow(InvalidInputError);
    expect(await findLatestCheckpoint(join(root, 'nothing-here'))).toBeUndefined();
    // the next save clears the staging leftovers
    await save(root, 5);
    expect((await readdir(root)).filter((entry) => entry.startsWith('.'))).toEqual([]);
  });

  it('saving a step again replaces it; pruning keeps the newest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'research-ts-ckpt-'));
    for (const step of [10, 20, 30]) await save(root, step);
    await save(root, 30);
    expect((await listCheckpoints(root)).map((entry) => entry.step)).toEqual([30, 20, 10]);
    await pruneCheckpoints(root, 2);
    expect((await listCheckpoints(root)).map((entry) => entry.step)).toEqual([30, 20]);
    expect(await verifyCheckpoint(join(root, checkpointName(30)))).toBeUndefined();
  });
});

async function manifestBytes(root: string, step: number, path: string): Promise<number> {
  const manifest = JSON.parse(await readFile(join(root, checkpointName(step), 'manifest.json'), 'utf8'));
  return manifest.files[path].bytes;
}
