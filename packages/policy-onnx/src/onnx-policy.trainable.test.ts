import type { TokenBatch, TrainablePolicy } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { createOnnxPolicy } from './onnx-policy';

const tokenizer = tinyWordTokenizer();
const policy = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, threads: 1 });
afterAll(() => policy.release());

/** Two prompts, right-padded into one spec `TokenBatch`. */
function specBatch(): TokenBatch {
  const rows = tinyPromptTexts.slice(0, 2).map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
  const length = Math.max(...rows.map((row) => row.length));
  const inputIds = new Int32Array(rows.length * length);
  const attentionMask = new Uint8Array(rows.length * length);
  rows.forEach((row, b) => row.forEach((id, t) => ((inputIds[b * length + t] = id), (attentionMask[b * length + t] = 1))));
  return { inputIds, attentionMask, batch: rows.length, length };
}

describe('createOnnxPolicy as a spec TrainablePolicy', () => {
  it('scoreTokens and accumulateGradients take the spec TokenBatch and agree with computeLogprobs / backward', async () => {
    const trainable: TrainablePolicy = policy;
    const batch = specBatch();
    const spec = await trainable.scoreTokens(batch);
    const native = await policy.computeLogprobs({ ...batch, seq: batch.length });
    expect(Array.from(spec.logprobs)).toEqual(Array.from(native.logprobs));
    expect(Array.from(spec.entropies)).toEqual(Array.from(native.entropies));
    const upstream = { gradLogprobs: new Float32Array(spec.logprobs.length).fill(1), gradEntropies: new Float32Array(spec.logprobs.length) };
    await trainable.accumulateGradients(batch, upstream);
    const fromSpec = await trainable.readGradients();
    await trainable.zeroGradients();
    const fromSeq = await policy.backward({ ...batch, seq: batch.length }, upstream);
    expect([...fromSpec.keys()]).toEqual([...fromSeq.keys()]);
    for (const [name, grad] of fromSeq) expect(Array.from(grad), name).toEqual(Array.from(fromSpec.get(name)!));
    expect((await trainable.readGradients()).size).toBe(0);
  });

  it('clearCache() drops KV caches computed with the old weights', async () => {
    const request = { inputIds: tokenizer.encode(tinyPromptTexts[0]!, { addSpecialTokens: false }), maxNewTokens: 4, sampling: { temperature: 0 } };
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
