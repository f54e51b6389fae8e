import {
  actorLossDefaultsFor,
  computeActorLoss,
  computeGrpoAdvantages,
  rolloutCorrectionModes,
  type LossAggregation,
  type RolloutCorrectionSettings,
} from '@research-ts/grpo';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectClose, sameBits } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { TinyPolicy } from '../test/tiny-policy';
import { fullBatch, responseScores, samples, setup, withMask, withoutTimings } from '../test/trainer-fixtures';
import type { GrpoTrainerOptions } from './grpo-trainer';
import type { TrainingSample } from './pack-trajectories';

/**
 * `list` carrying the current policy's own logprobs as the sampler's (NaN on tokens outside the loss, which
 * the correction must not read), each shifted by `shift(sample, token)`.
 */
async function withRolloutLogprobs(
  policy: TinyPolicy,
  list: readonly TrainingSample[],
  shift: (index: number, j: number) => number = () => 0,
): Promise<TrainingSample[]> {
  const scores = await responseScores(policy, list);
  return list.map((item, index) => ({
    ...item,
    rolloutLogprobs: scores[index]!.logprobs.map((logprob, j) =>
      item.trajectory.lossMask[j] === 0 ? Number.NaN : logprob + shift(index, j),
    ),
  }));
}

describe('createGrpoTrainer rollout correction', () => {
  it('with the sampler’s logprobs equal to the trainer’s, every mode trains bit-identically to no correction', async () => {
    const modes = Object.keys(rolloutCorrectionModes) as RolloutCorrectionSettings['mode'][];
    expect(modes).toHaveLength(8);
    for (const mode of modes) {
      const options: Partial<GrpoTrainerOptions> = { optimizer: { lr: 1e-2 }, maxTokensPerMicroBatch: 14 };
      const plain = setup(options);
      const corrected = setup({ ...options, rolloutCorrection: { mode } });
      for (let step = 0; step < 2; step++) {
        const expected = await plain.trainer.step(samples);
        const actual = await corrected.trainer.step(await withRolloutLogprobs(corrected.policy, samples));
        const { rolloutCorrection, ...rest } = withoutTimings(actual.metrics);
        expect(rest, `${mode}, step ${step + 1}`).toEqual(withoutTimings(expected.metrics));
        expect(rolloutCorrection!.rejectedTokenCount).toBe(0);
        expect(rolloutCorrection!.verl['rollout_corr/kl']).toBe(0);
        expect(rolloutCorrection!.metrics.offPolicy.chi2Token).toBe(0);
      }
      expect(sameBits(corrected.policy.parameters, plain.policy.parameters), mode).toBe(true);
    }
  });

  it('a rejected token leaves the loss: the step equals one with that token masked, normalisers included', async () => {
    const aggregations: LossAggregation[] = [
      { mode: 'token-mean' },
      { mode: 'seq-mean-token-mean' },
      { mode: 'seq-mean-token-sum' },
    ];
    for (const aggregation of aggregations) {
      for (const maxTokensPerMicroBatch of [1000, 10]) {
        const options = { optimizer: { lr: 1e-2 }, maxTokensPerMicroBatch, lossOptions: { aggregation } };
        const masked = setup(options);
        const corrected = setup({ ...options, rolloutCorrection: { mode: 'token-rejection' } });
        // sample 0's second token: the sampler found it e³ times likelier than the trainer does (ratio e⁻³ < 1/2)
        const batch = await withRolloutLogprobs(corrected.policy, samples, (index, j) =>
          index === 0 && j === 1 ? 3 : 0,
        );
        const expected = await masked.trainer.step(withMask(samples, 0, [1, 0, 1, 1]));
        const actual = await corrected.trainer.step(batch);
        const label = `${aggregation.mode}, budget ${maxTokensPerMicroBatch}`;
        const { rolloutCorrection, ...rest } = withoutTimings(actual.metrics);
        expect(rest, label).toEqual(withoutTimings(expected.metrics));
        expect(sameBits(corrected.policy.parameters, masked.policy.parameters), label).toBe(true);
        expect(actual.metrics.lossTokenCount).toBe(27);
        expect(rolloutCorrection!.rejectedTokenCount).toBe(1);
        expect(rolloutCorrection!.verl['rollout_corr/rollout_rs_masked_fraction']).toBe(1 / 28);
        expectClose(rolloutCorrection!.metrics.offPolicy.kl, 3 / 28, { rtol: 1e-6 });
      }
    }
  });

  it('a rejected sequence leaves the loss whole; rejecting everything skips the step', async () => {
    const options = { optimizer: { lr: 1e-2 }, maxTokensPerMicroBatch: 10 };
    const masked = setup(options);
    const corrected = setup({ ...options, rolloutCorrection: { mode: 'sequence-rejection', threshold: 4 } });
    // sample 4 (3 tokens): each token's rollout logprob 0.5 higher, sequence ratio e^−1.5 < 1/4
    const batch = await withRolloutLogprobs(corrected.policy, samples, (index) => (index === 4 ? 0.5 : 0));
    const expected = await masked.trainer.step(withMask(samples, 4, [0, 0, 0]));
    const actual = await corrected.trainer.step(batch);
    const { rolloutCorrection, ...rest } = withoutTimings(actual.metrics);
    expect(rest).toEqual(withoutTimings(expected.metrics));
    expect(sameBits(corrected.policy.parameters, masked.policy.parameters)).toBe(true);
    expect(rolloutCorrection!.rejectedTokenCount).toBe(3);
    expect(rolloutCorrection!.metrics.rejection!.sequenceMaskedFraction).toBe(1 / 8);

    const everything = setup({ rolloutCorrection: { mode: 'sequence-rejection' } });
    const before = everything.policy.snapshot();
    const result = await everything.trainer.step(await withRolloutLogprobs(everything.policy, samples, () => -1));
    expect(result).toMatchObject({
      skipped: true,
      reason: 'no-loss-tokens',
      message: 'no token is left in the loss (the rollout correction rejected every one)',
      metrics: { lossTokenCount: 0, microBatchCount: 0, rolloutCorrection: { rejectedTokenCount: 28 } },
    });
    expect(sameBits(everything.policy.snapshot(), before)).toBe(true);
    expect(everything.policy.calls.backward).toBe(0);
  });

  it('importance weights scale each token’s policy loss (truncated at the threshold), not the KL or entropy', async () => {
    // sample 1 token 0: the trainer finds it e^0.3 times likelier than the sampler (weight 1.35); sample 6 token 1:
    // e^1 (2.72, truncated to 2); every other weight is 1
    const shifts = (index: number, j: number) => (index === 1 && j === 0 ? -0.3 : index === 6 && j === 1 ? -1 : 0);
    for (const policyLoss of ['vanilla', 'gspo'] as const) {
      const lossOptions = { policyLoss };
      const whole = setup({ lossOptions, rolloutCorrection: { mode: 'token-tis' } });
      const split = setup({ lossOptions, rolloutCorrection: { mode: 'token-tis' }, maxTokensPerMicroBatch: 10 });
      await whole.trainer.step(await withRolloutLogprobs(whole.policy, samples)); // away from the reference
      await split.trainer.step(await withRolloutLogprobs(split.policy, samples));
      const shifted = await withRolloutLogprobs(whole.policy, samples, shifts);
      const full = await whole.trainer.computeGradients(shifted);
      const parts = await split.trainer.computeGradients(await withRolloutLogprobs(split.policy, samples, shifts));

      // the weights by hand: min(2, exp(logprob − rollout logprob)), 1 where the two agree
      const batch = await fullBatch(whole.policy, whole.reference, samples);
      const tokenWeights = new Float32Array(batch.mask.length).fill(1);
      shifted.forEach((item, index) =>
        item.rolloutLogprobs!.forEach((rollout, j) => {
          const at = index * batch.width + j;
          if (batch.mask[at] === 1) tokenWeights[at] = Math.min(2, Math.exp(batch.logprobs[at]! - rollout));
        }),
      );
      expectClose(tokenWeights[1 * batch.width]!, Math.exp(0.3), { rtol: 1e-6 });
      expect(tokenWeights[6 * batch.width + 1]).toBe(2);
      expect(tokenWeights.filter((weight) => weight !== 1)).toHaveLength(2);
      const grpo = (weights?: Float32Array) =>
        computeActorLoss({
          ...actorLossDefaultsFor(policyLoss),
          logprobs: batch.logprobs,
          oldLogprobs: batch.logprobs,
          refLogprobs: batch.refLogprobs,
          entropies: batch.entropies,
          advantages: computeGrpoAdvantages({
            scores: samples.map((s) => s.reward),
            groupIds: samples.map((s) => s.groupId),
          }),
          mask: batch.mask,
          responseLength: batch.width,
          ...(weights === undefined ? {} : { tokenWeights: weights }),
        });
      const weighted = grpo(tokenWeights);
      const unweighted = grpo();
      expect(weighted.metrics.pgLoss).not.toBeCloseTo(unweighted.metrics.pgLoss, 6);
      expectClose(full.loss, weighted.loss, { atol: 1e-12, rtol: 1e-9, label: `${policyLoss} loss` });
      expectClose(full.metrics.pgLoss, weighted.metrics.pgLoss, { atol: 1e-12, rtol: 1e-9, label: 'pg' });
      expectClose(full.metrics.klLoss!, unweighted.metrics.klLoss!, { atol: 1e-15, rtol: 1e-9, label: 'kl' });
      expectClose(full.metrics.entropy, unweighted.metrics.entropy!, { atol: 1e-15, rtol: 1e-9, label: 'entropy' });
      expectClose(parts.loss, full.loss, { atol: 1e-12, rtol: 1e-9, label: `${policyLoss} split` });
      for (const [name, gradient] of full.gradients) {
        const largest = Math.max(...gradient.map(Math.abs));
        expectClose(parts.gradients.get(name)!, gradient, { atol: 1e-6 * largest, label: `${policyLoss} ${name}` });
      }
    }
  });

  it('checks the option when created and the samples’ rollout logprobs at each step', async () => {
    const { policy, reference } = setup();
    const base = { policy, reference, maxTokensPerMicroBatch: 100 };
    const cases: [RolloutCorrectionSettings, string, RegExp][] = [
      [{ mode: 'nope' as 'token-tis' }, 'rolloutCorrection.mode', /unknown rollout correction mode "nope"/],
      [{ mode: 'token-rejection', threshold: 0 }, 'rolloutCorrection.threshold', /must be a finite number > 0/],
      [
        { mode: 'token-rejection', rejectionThresholdLower: 3 },
        'rolloutCorrection.rejectionThresholdLower',
        /must be in \[0, rejectionThreshold = 2\]/,
      ],
    ];
    for (const [rolloutCorrection, path, problem] of cases) {
      let error: unknown;
      try {
        setup({ ...base, rolloutCorrection });
      } catch (caught) {
        error = caught;
      }
      expect(error, path).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).path).toBe(path);
      expect((error as InvalidConfigError).problem).toMatch(problem);
    }

    const { trainer, policy: trained } = setup({ rolloutCorrection: { mode: 'token-rejection' } });
    const good = await withRolloutLogprobs(trained, samples);
    const scored = trained.calls.scoreTokens;
    const broken = (index: number, rolloutLogprobs: unknown) =>
      good.map((item, at) => (at === index ? { ...item, rolloutLogprobs: rolloutLogprobs as Float32Array } : item));
    await expect(trainer.step(broken(0, undefined))).rejects.toThrow(
      new InvalidInputError(
        "is missing; the rollout correction needs the sampler's logprob of each response token (a Float32Array)",
        { field: 'samples.0.rolloutLogprobs' },
      ),
    );
    await expect(trainer.step(broken(2, new Float32Array(2)))).rejects.toThrow(
      /field "samples\.2\.rolloutLogprobs": has 2 values for 5 response tokens/,
    );
    await expect(trainer.step(broken(1, new Float32Array(6).fill(Number.NaN)))).rejects.toThrow(
      /field "samples\.1\.rolloutLogprobs": value 0 is NaN on a token in the loss/,
    );
    expect(trained.calls.scoreTokens, 'checked before the policy is called').toBe(scored);
    // without the option the field is not read
    expect((await setup().trainer.step(broken(0, 'junk'))).skipped).toBe(false);
  });
});
