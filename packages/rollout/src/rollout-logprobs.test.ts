import type { GenerateRequest, Passage, Policy } from '@research-ts/spec';
import { MockPolicy, MockRetriever, MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { createTrajectory } from './create-trajectory';
import { rollout } from './rollout';

const tokenizer = new MockTokenizer();
const corpus: Passage[] = [{ id: 'p2', contents: '"Y"\nx y' }];
/** The logprob a scripted sampler reports for id `id`. */
const logprobOf = (id: number) => -((id % 7) + 1) / 8;

/** A policy whose turns come from `turns` (per call) and report logprobs on the calls `withLogprobs` allows. */
function samplerPolicy(turns: readonly string[], withLogprobs: (call: number) => boolean = () => true): Policy {
  const inner = new MockPolicy({ tokenizer, script: (_request, { call }) => turns[call]! });
  let call = 0;
  return {
    specificationVersion: 'v1',
    name: 'sampler',
    async generate(requests: readonly GenerateRequest[]) {
      const results = await inner.generate(requests);
      const reported = withLogprobs(call++);
      return results.map((result) => (reported ? { ...result, logprobs: result.outputIds.map(logprobOf) } : result));
    },
  };
}

const expected = (ids: readonly number[], mask: Uint8Array) =>
  Array.from(ids, (id, index) => (mask[index] === 1 ? Math.fround(logprobOf(id)) : NaN));

describe('rollout: the sampler logprobs', () => {
  it('carries them token by token, NaN on the inserted result block', async () => {
    const policy = samplerPolicy(['<search>y</search>', '<answer>\\boxed{1}</answer><|im_end|>']);
    const [sample] = await rollout({ policy, retriever: new MockRetriever(corpus), tokenizer, prompts: [[68]] });
    const { responseIds, lossMask, rolloutLogprobs } = sample!.trajectory;
    expect(rolloutLogprobs).toBeInstanceOf(Float32Array);
    expect([...rolloutLogprobs!]).toEqual(expected(responseIds, lossMask));
    expect(lossMask.includes(0)).toBe(true);
  });

  it('cuts them with the ids at the response budget', async () => {
    const policy = samplerPolicy(['<search>y</search>', 'a long thought that never ends']);
    const [sample] = await rollout({
      policy,
      retriever: new MockRetriever(corpus),
      tokenizer,
      prompts: [[68]],
      responseBudget: 18 + 27 + 5,
    });
    const { responseIds, lossMask, rolloutLogprobs, finishReason } = sample!.trajectory;
    expect(finishReason).toBe('budget');
    expect(rolloutLogprobs).toHaveLength(50);
    expect([...rolloutLogprobs!]).toEqual(expected(responseIds, lossMask));
  });

  it('are absent when any model piece came without them, and when the policy reports none', async () => {
    const turns = ['<search>y</search>', '<answer>\\boxed{1}</answer><|im_end|>'];
    for (const policy of [samplerPolicy(turns, (call) => call === 0), samplerPolicy(turns, () => false)]) {
      const [sample] = await rollout({ policy, retriever: new MockRetriever(corpus), tokenizer, prompts: [[68]] });
      expect('rolloutLogprobs' in sample!.trajectory).toBe(false);
    }
  });

  it('rejects a policy that reports a logprob count other than its ids', async () => {
    const policy: Policy = {
      specificationVersion: 'v1',
      name: 'short',
      generate: async () => [{ outputIds: [3, 4], text: 'ab', finishReason: 'eos', logprobs: [-1] }],
    };
    await expect(rollout({ policy, retriever: new MockRetriever(corpus), tokenizer, prompts: [[68]] })).rejects.toThrow(
      'policy "short", field "logprobs": returned 1 logprobs for 2 output ids',
    );
  });

  it('createTrajectory checks their length and finiteness on generated tokens', () => {
    const parts = {
      promptIds: [7],
      responseIds: [10, 20, 11],
      lossMask: [1, 0, 1],
      segments: [
        { kind: 'model' as const, start: 0, end: 1, text: 'a' },
        { kind: 'result' as const, start: 1, end: 2, text: 'R' },
        { kind: 'model' as const, start: 2, end: 3, text: 'b' },
      ],
      text: 'aRb',
      finishReason: 'eos' as const,
      searches: [],
    };
    const trajectory = createTrajectory({ ...parts, rolloutLogprobs: [-0.5, NaN, -0.25] });
    expect([...trajectory.rolloutLogprobs!]).toEqual([-0.5, NaN, -0.25]);
    expect(() => createTrajectory({ ...parts, rolloutLogprobs: [-0.5, NaN] })).toThrow(
      'createTrajectory, field "rolloutLogprobs": has 2 entries but responseIds has 3',
    );
    expect(() => createTrajectory({ ...parts, rolloutLogprobs: [-0.5, 0, NaN] })).toThrow(
      'createTrajectory, field "rolloutLogprobs.2": is NaN on a generated token (expected a finite logprob)',
    );
  });
});
