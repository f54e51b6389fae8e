import { describe, expect, it } from 'vitest';
import { createMockTrainablePolicy } from './mock-trainable-policy';
import { runTrainablePolicyConformance } from './run-trainable-policy-conformance';

runTrainablePolicyConformance({
  name: 'createMockTrainablePolicy',
  createPolicy: () => createMockTrainablePolicy({ vocabSize: 8, seed: 3 }),
});

describe('createMockTrainablePolicy', () => {
  const batch = {
    inputIds: Int32Array.from([1, 4, 2, 6, 3, 0]),
    attentionMask: Uint8Array.from([1, 1, 1, 1, 1, 0]),
    batch: 2,
    length: 3,
  };

  it('accumulates the gradient of Σ gradLogprobs·logprobs + Σ gradEntropies·entropies (central differences)', async () => {
    const policy = createMockTrainablePolicy({ vocabSize: 8, seed: 2 });
    const upstream = {
      gradLogprobs: Float32Array.from([0.7, -0.4, 0.3, 0]),
      gradEntropies: Float32Array.from([0.2, 0.5, -0.6, 0]),
    };
    const objective = async () => {
      const { logprobs, entropies } = await policy.scoreTokens(batch);
      let sum = 0;
      for (let index = 0; index < logprobs.length; index++)
        sum += upstream.gradLogprobs[index]! * logprobs[index]! + upstream.gradEntropies[index]! * entropies[index]!;
      return sum;
    };
    await policy.accumulateGradients(batch, upstream);
    const gradients = await policy.readGradients();
    for (const [name, value] of policy.parameters) {
      const gradient = gradients.get(name)!;
      for (let index = 0; index < value.length; index++) {
        const original = value[index]!;
        value[index] = original + 1e-2;
        const up = await objective();
        value[index] = original - 1e-2;
        const down = await objective();
        value[index] = original;
        expect(Math.abs(gradient[index]! - (up - down) / 2e-2), `${name}[${index}]`).toBeLessThan(2e-4);
      }
    }
  });

  it('scores padding as 0, generates greedily and stops at eosId', async () => {
    const policy = createMockTrainablePolicy({ vocabSize: 8, seed: 2, eosId: 0 });
    const scores = await policy.scoreTokens(batch);
    expect(scores.logprobs[3]).toBe(0);
    expect(scores.logprobs[0]).toBeLessThan(0);
    const [result] = await policy.generate([{ inputIds: [1], maxNewTokens: 20, logprobs: true }]);
    expect(result!.outputIds.length).toBeGreaterThan(0);
    expect(result!.logprobs).toHaveLength(result!.outputIds.length);
    if (result!.finishReason === 'eos') expect(result!.outputIds.at(-1)).toBe(0);
    const [again] = await policy.generate([{ inputIds: [1], maxNewTokens: 20, sampling: { temperature: 1, seed: 4 } }]);
    expect(again!.outputIds).toEqual(result!.outputIds);
    await expect(policy.scoreTokens({ ...batch, inputIds: Int32Array.from([1, 9, 2, 6, 3, 0]) })).rejects.toThrow(
      /token id 9/,
    );
  });
});
