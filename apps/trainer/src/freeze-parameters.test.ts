import { InvalidConfigError, type TokenBatch, type TrainablePolicy } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { freezeParameters } from './freeze-parameters';

/** A policy with two parameters whose `backward` returns the same (owned) gradient map every call. */
function twoParameterPolicy() {
  const parameters = new Map([
    ['embed', Float32Array.from([1, 2])],
    ['layer', Float32Array.from([3])],
  ]);
  const owned = new Map([
    ['embed', new Float32Array(2)],
    ['layer', new Float32Array(1)],
  ]);
  let changed = 0;
  const policy: TrainablePolicy = {
    specificationVersion: 'v1',
    name: 'two',
    parameters,
    generate: async () => [],
    scoreTokens: async () => ({ logprobs: Float32Array.from([-1]), entropies: Float32Array.from([0.5]) }),
    async backward(_batch, upstream) {
      owned.get('embed')!.fill(upstream.gradLogprobs[0]!);
      owned.get('layer')!.fill(2 * upstream.gradLogprobs[0]!);
      return owned;
    },
    parametersChanged: () => {
      changed += 1;
    },
  };
  return { policy, owned, changed: () => changed };
}

const batch: TokenBatch = { inputIds: Int32Array.from([1, 2]), attentionMask: Uint8Array.from([1, 1]), batch: 1, length: 2 };

describe('freezeParameters', () => {
  it('returns the policy itself when nothing is frozen', () => {
    const { policy } = twoParameterPolicy();
    expect(freezeParameters(policy, [])).toBe(policy);
  });

  it('hides frozen parameters and their gradients, leaving the policy’s own map intact across calls', async () => {
    const { policy, owned, changed } = twoParameterPolicy();
    const view = freezeParameters(policy, ['embed']);
    expect([...view.parameters.keys()]).toEqual(['layer']);
    expect(view.parameters.get('layer')).toBe(policy.parameters.get('layer'));
    for (const upstream of [1.5, -2]) {
      const gradients = await view.backward(batch, { gradLogprobs: Float32Array.from([upstream]), gradEntropies: new Float32Array(1) });
      expect([...gradients.keys()]).toEqual(['layer']);
      expect([...gradients.get('layer')!]).toEqual([2 * upstream]);
      // the policy's own gradient map still holds the frozen buffer for its next call
      expect([...owned.keys()]).toEqual(['embed', 'layer']);
    }
    expect((await view.scoreTokens(batch)).logprobs[0]).toBe(-1);
    view.parametersChanged();
    expect(changed()).toBe(1);
    expect(policy.parameters.size).toBe(2);
  });

  it('names the field when a parameter does not exist or when everything would be frozen', () => {
    const { policy } = twoParameterPolicy();
    expect(() => freezeParameters(policy, ['embed_tokens'])).toThrow(InvalidConfigError);
    expect(() => freezeParameters(policy, ['embed_tokens'])).toThrow(/training\.frozenParameters.*no parameter "embed_tokens" \(parameters: embed, layer\)/);
    expect(() => freezeParameters(policy, ['embed', 'layer'])).toThrow(/training\.frozenParameters.*nothing would be trained/);
  });
});
