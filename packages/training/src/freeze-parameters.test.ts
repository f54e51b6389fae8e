import { InvalidConfigError, type TokenBatch } from '@research-ts/spec';
import { createMockTrainablePolicy, runTrainablePolicyConformance } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { freezeParameters } from './freeze-parameters';

// The view leaves one trainable tensor (bias), so the suite's own frozen-parameter check — which needs one tensor
// trained and another frozen inside the policy it is given — skips itself with that reason; freezing through
// the view is checked by the tests below ("hides frozen parameters and trains the others …").
runTrainablePolicyConformance({
  name: 'freezeParameters (bias trainable, weight frozen)',
  createPolicy: () => freezeParameters(createMockTrainablePolicy(), ['weight']),
});

const batch: TokenBatch = {
  inputIds: Int32Array.from([1, 2, 5, 3]),
  attentionMask: Uint8Array.from([1, 1, 1, 1]),
  batch: 1,
  length: 4,
};
const upstream = {
  gradLogprobs: Float32Array.from([-0.5, 0.25, -0.25]),
  gradEntropies: Float32Array.from([0.1, 0, -0.1]),
};
const update = { learningRate: 1e-2, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 0.01 };

describe('freezeParameters', () => {
  it('returns the policy itself when nothing is frozen', () => {
    const policy = createMockTrainablePolicy();
    expect(freezeParameters(policy, [])).toBe(policy);
  });

  it('hides frozen parameters and trains the others exactly as an update naming them would', async () => {
    const policy = createMockTrainablePolicy({ seed: 4 });
    const reference = createMockTrainablePolicy({ seed: 4 });
    const weight = policy.parameters.get('weight')!.slice();
    const view = freezeParameters(policy, ['weight']);
    expect([...view.parameterSizes.keys()]).toEqual(['bias']);
    expect([...(await view.readParameters()).keys()]).toEqual(['bias']);
    expect(
      [...(await view.readParameters(['weight'])).keys()],
      'an explicit name still reads a frozen parameter',
    ).toEqual(['weight']);
    for (let step = 0; step < 3; step++) {
      await view.accumulateGradients(batch, upstream);
      await reference.accumulateGradients(batch, upstream);
      expect([...(await view.readGradients()).keys()]).toEqual(['bias']);
      expect(await view.applyUpdate(update)).toEqual(await reference.applyUpdate({ ...update, parameters: ['bias'] }));
    }
    expect(policy.parameters.get('weight')).toEqual(weight);
    expect(policy.parameters.get('bias')).toEqual(reference.parameters.get('bias'));
    expect(policy.parameters.get('bias')).not.toEqual(createMockTrainablePolicy({ seed: 4 }).parameters.get('bias'));
    expect(Object.keys(await view.readOptimizerState())).toEqual(['bias']);
    expect(policy.parameterSizes.size).toBe(2);
  });

  it('rejects an update or a state that names a frozen parameter', async () => {
    const policy = createMockTrainablePolicy();
    const view = freezeParameters(policy, ['weight']);
    await expect(view.applyUpdate({ ...update, parameters: ['weight', 'bias'] })).rejects.toThrow(
      /field "update\.parameters": "weight" is frozen/,
    );
    const moments = { step: 1, expAvg: new Float32Array(64), expAvgSq: new Float32Array(64) };
    await expect(view.loadOptimizerState({ weight: moments })).rejects.toThrow(/unknown parameter "weight"/);
  });

  it('names the field when a parameter does not exist or when everything would be frozen', () => {
    const policy = createMockTrainablePolicy();
    expect(() => freezeParameters(policy, ['embed_tokens'])).toThrow(InvalidConfigError);
    expect(() => freezeParameters(policy, ['embed_tokens'])).toThrow(
      /training\.frozenParameters.*no parameter "embed_tokens" \(parameters: weight, bias\)/,
    );
    expect(() => freezeParameters(policy, ['weight', 'bias'])).toThrow(
      /training\.frozenParameters.*nothing would be trained/,
    );
  });
});
