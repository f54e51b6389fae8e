import { describe, expect, it } from 'vitest';
import { randomBatch } from '../test/random-batch';
import { computeActorLoss } from './actor-loss';
import { computePolicyLoss } from './policy-loss';

describe('computePolicyLoss', () => {
  const batch = randomBatch(21);
  const common = {
    logprobs: batch.logprobs,
    oldLogprobs: batch.oldLogprobs,
    advantages: batch.sequenceAdvantages,
    mask: batch.mask,
    responseLength: batch.responseLength,
  };

  it('is the actor loss without KL and entropy terms, and needs neither reference nor entropies', () => {
    for (const options of [
      {},
      { dualClip: 3, clipHigh: 0.28 },
      { aggregation: { mode: 'seq-mean-token-mean' } as const },
    ]) {
      const policy = computePolicyLoss({ ...common, ...options });
      const actor = computeActorLoss({ ...common, ...options, klCoefficient: 0, entropyCoefficient: 0 });
      expect(policy.loss).toBe(actor.loss);
      expect(policy.loss).toBe(policy.metrics.pgLoss);
      expect([...policy.gradLogprobs]).toEqual([...actor.gradLogprobs]);
      expect(policy.metrics).not.toHaveProperty('klLoss');
    }
  });

  it('on-policy (old = current) gives the plain policy gradient −A/N on every token', () => {
    const result = computePolicyLoss({ ...common, oldLogprobs: batch.logprobs });
    const tokens = batch.mask.reduce((sum, m) => sum + m, 0);
    batch.mask.forEach((m, k) => {
      const expected =
        m === 0 ? 0 : Math.fround(-batch.sequenceAdvantages[Math.floor(k / batch.responseLength)]! / tokens);
      expect(result.gradLogprobs[k]).toBe(expected);
    });
    expect(result.metrics.pgClipFrac).toBe(0);
    expect(result.metrics.ppoKl).toBe(0);
  });

  it('fills a preallocated gradient buffer', () => {
    const gradLogprobs = new Float32Array(batch.logprobs.length).fill(7);
    const result = computePolicyLoss({ ...common, out: { gradLogprobs } });
    expect(result.gradLogprobs).toBe(gradLogprobs);
    expect([...gradLogprobs]).toEqual([...computePolicyLoss(common).gradLogprobs]);
  });
});
