import type { TrainablePolicy } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { tokenBatchOf } from './__fixtures__/token-batch-of';
import { createOnnxPolicy } from './onnx-policy';

const tokenizer = tinyWordTokenizer();
const policy = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1 });
afterAll(() => policy.release());

/** Two prompts of different lengths (each of at least two tokens, so that each can be scored alone). */
const rows = [tinyPromptTexts[0]!, tinyPromptTexts[2]!].map((text) =>
  tokenizer.encode(text, { addSpecialTokens: false }),
);

describe('createOnnxPolicy as a spec TrainablePolicy', () => {
  it('scoreTokens takes a right-padded spec TokenBatch: each row scores as it does alone (1e-5), padding scores 0', async () => {
    const batch = tokenBatchOf(rows);
    const scores = await policy.scoreTokens(batch);
    const columns = batch.length - 1;
    for (const [index, row] of rows.entries()) {
      const alone = await policy.scoreTokens(tokenBatchOf([row]));
      const logprobs = scores.logprobs.subarray(index * columns, (index + 1) * columns);
      alone.logprobs.forEach((value, position) =>
        expect(Math.abs(logprobs[position]! - value), `row ${index}, token ${position}`).toBeLessThan(1e-5),
      );
      expect(Array.from(logprobs.subarray(row.length - 1))).toEqual(new Array(batch.length - row.length).fill(0));
    }
  });

  it('accumulateGradients adds what backward returns; readGradients after zeroGradients is empty', async () => {
    const trainable: TrainablePolicy = policy;
    const batch = tokenBatchOf(rows);
    const outputs = batch.batch * (batch.length - 1);
    const upstream = { gradLogprobs: new Float32Array(outputs).fill(1), gradEntropies: new Float32Array(outputs) };
    await trainable.accumulateGradients(batch, upstream);
    const accumulated = await trainable.readGradients();
    await trainable.zeroGradients();
    const gradients = await policy.backward(batch, upstream);
    expect([...accumulated.keys()]).toEqual([...gradients.keys()]);
    for (const [name, grad] of gradients) expect(Array.from(grad), name).toEqual(Array.from(accumulated.get(name)!));
    expect((await trainable.readGradients()).size).toBe(0);
  });

  it('clearCache() drops KV caches computed with the old weights', async () => {
    const request = {
      inputIds: tokenizer.encode(tinyPromptTexts[0]!, { addSpecialTokens: false }),
      maxNewTokens: 4,
      sampling: { temperature: 0 },
    };
    await policy.generate([request]);
    const before = policy.statistics.reusedTokens;
    await policy.generate([request]);
    expect(policy.statistics.reusedTokens).toBeGreaterThan(before);
    policy.clearCache();
    const afterClear = policy.statistics.reusedTokens;
    await policy.generate([request]);
    expect(policy.statistics.reusedTokens).toBe(afterClear);
  });
});
