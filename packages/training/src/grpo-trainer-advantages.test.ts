import { computeAdvantageEstimate, computeRlooAdvantages } from '@research-ts/grpo';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectClose } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { wrapPolicy } from '../test/policy-wrappers';
import { createTinyPolicy } from '../test/tiny-policy';
import { sample, samples, vocabSize } from '../test/trainer-fixtures';
import { createGrpoTrainer, type GrpoTrainerOptions } from './grpo-trainer';
import { packTrajectories, type TrainingSample } from './pack-trajectories';

/** Three rollouts: an inserted result (mask 0) in the first; the third alone in its group. */
const tiny: TrainingSample[] = [
  sample('a', 1, [5], [1, 2, 6, 1], [1, 1, 0, 1]),
  sample('a', 0, [5, 2], [3, 4]),
  sample('b', 0.5, [5], [2]),
];

/**
 * A trainer with only the policy-gradient term (no KL, no entropy) over a recording policy; one step. With one
 * epoch the ratio is 1, so the upstream gradient of loss token t is `−A_t / N` (token-mean over N loss tokens).
 */
async function upstreamOf(list: readonly TrainingSample[], options: Partial<GrpoTrainerOptions>, budget = 5) {
  const policy = wrapPolicy(createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 3 }));
  const trainer = createGrpoTrainer({
    policy,
    lossOptions: { klCoefficient: 0, entropyCoefficient: 0 },
    maxTokensPerMicroBatch: budget,
    ...options,
  });
  const result = await trainer.step(list);
  expect(result.skipped).toBe(false);
  const { microBatches } = packTrajectories(list, { maxTokensPerMicroBatch: budget, padId: 0 });
  expect(policy.record.accumulated).toHaveLength(microBatches.length);
  /** Per sample, the upstream d loss / d logprob of each response token, read at its score position. */
  const perToken = list.map((item) => new Float64Array(item.trajectory.responseIds.length));
  microBatches.forEach((micro, index) => {
    const { upstream, batch } = policy.record.accumulated[index]!;
    expect(batch).toEqual(micro.batch);
    micro.sampleIndices.forEach((sampleIndex, row) => {
      const offset = row * (batch.length - 1) + micro.responseStarts[row]! - 1;
      perToken[sampleIndex]!.forEach((_, j) => (perToken[sampleIndex]![j] = upstream.gradLogprobs[offset + j]!));
    });
  });
  return { result, perToken, microBatchCount: microBatches.length };
}

describe('createGrpoTrainer advantage estimators', () => {
  it('reinforce-plus-plus: the worked per-token advantages reach each token at its score position', async () => {
    // Rewards on the last response token; returns G_t = r_t + γ·m_{t+1}·G_{t+1} with γ = 0.9, cut at the inserted
    // token: sample 0 → [0, 0, (0.9), 1], sample 1 → [0, 0], sample 2 → [0.5]. Over the 6 loss tokens
    // (0, 0, 1, 0, 0, 0.5): mean 0.25, unbiased variance 0.875 / 5 = 0.175; A = (G − 0.25) / √(0.175 + 1e-8).
    const scale = 1 / Math.sqrt(0.175 + 1e-8);
    const expected = [[-0.25 * scale, -0.25 * scale, 0, 0.75 * scale], [-0.25 * scale, -0.25 * scale], [0.25 * scale]];
    const { result, perToken, microBatchCount } = await upstreamOf(tiny, {
      advantageEstimator: 'reinforce-plus-plus',
      gamma: 0.9,
    });
    expect(microBatchCount).toBe(3);
    perToken.forEach((gradients, index) =>
      expectClose(
        gradients,
        expected[index]!.map((advantage) => -advantage / 6),
        { rtol: 1e-6, atol: 1e-12, label: `sample ${index}` },
      ),
    );
    expect(perToken[0]![2], 'the inserted token gets no gradient').toBe(0);
    const { metrics } = result;
    expect(metrics.lossTokenCount).toBe(6);
    expectClose(metrics.advantageMean, 0, { atol: 1e-15 });
    expectClose(metrics.advantageMax, 0.75 * scale, { rtol: 1e-15 });
    expectClose(metrics.advantageMin, -0.25 * scale, { rtol: 1e-15 });
    expectClose(metrics.advantageStd, Math.sqrt(0.175) * scale, { rtol: 1e-12 });
    expectClose(metrics.pgLoss, 0, { atol: 1e-15 });
  });

  it('reinforce-plus-plus-baseline and rloo: what grpo computes on the batch, per token or per sample', async () => {
    const width = 4;
    const mask = new Uint8Array(tiny.length * width);
    tiny.forEach((item, index) => mask.set(item.trajectory.lossMask, index * width));
    const baseline = computeAdvantageEstimate({
      estimator: 'reinforce-plus-plus-baseline',
      scores: tiny.map((item) => item.reward),
      groupIds: tiny.map((item) => item.groupId),
      mask,
      responseLength: width,
    }).advantages;
    const token = await upstreamOf(tiny, { advantageEstimator: 'reinforce-plus-plus-baseline' });
    token.perToken.forEach((gradients, index) =>
      gradients.forEach((gradient, j) => {
        const advantage = baseline[index * width + j]!;
        expectClose(gradient, mask[index * width + j] === 0 ? 0 : -advantage / 6, { rtol: 1e-6, atol: 1e-12 });
      }),
    );

    const rloo = computeRlooAdvantages({
      scores: samples.map((s) => s.reward),
      groupIds: samples.map((s) => s.groupId),
    });
    const sequence = await upstreamOf(samples, { advantageEstimator: 'rloo' }, 14);
    sequence.perToken.forEach((gradients, index) =>
      gradients.forEach((gradient, j) => {
        const inLoss = samples[index]!.trajectory.lossMask[j] === 1;
        expectClose(gradient, inLoss ? -rloo[index]! / 28 : 0, { rtol: 1e-6, atol: 1e-12 });
      }),
    );
    expect(sequence.result.metrics.advantageMax).toBe(Math.max(...rloo));
  });

  it('checks the estimator and its knobs when it is created, naming the option', async () => {
    const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 1 });
    const base = { policy, maxTokensPerMicroBatch: 100, lossOptions: { klCoefficient: 0 } };
    const cases: [Partial<GrpoTrainerOptions>, string, RegExp][] = [
      [
        { advantageEstimator: 'nope' as 'grpo' },
        'advantageEstimator',
        /unknown advantage estimator "nope" \(expected one of grpo, dr-grpo/,
      ],
      [{ gamma: 0.9 }, 'gamma', /is not read by advantageEstimator "grpo" \(only by reinforce-plus-plus\)/],
      [{ advantageEstimator: 'reinforce-plus-plus', gamma: 2 }, 'gamma', /must be a finite number in \[0, 1\], got 2/],
      [{ advantageEstimator: 'gpg', fNorm: 0 }, 'fNorm', /must be a finite number > 0, got 0/],
      [
        { advantageEstimator: 'rloo', advantageEpsilon: 1e-4 },
        'advantageEpsilon',
        /not read by advantageEstimator "rloo"/,
      ],
      [{ advantageEpsilon: -1 }, 'advantageEpsilon', /must be a finite number ≥ 0, got -1/],
      [{ advantageMode: 'grpo' } as Partial<GrpoTrainerOptions>, 'advantageMode', /was renamed advantageEstimator/],
    ];
    for (const [change, path, problem] of cases) {
      let error: unknown;
      try {
        createGrpoTrainer({ ...base, ...change });
      } catch (caught) {
        error = caught;
      }
      expect(error, path).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).path).toBe(path);
      expect((error as InvalidConfigError).problem).toMatch(problem);
    }
    expect(() => createGrpoTrainer({ ...base, advantageEstimator: 'gpg', fNorm: 2 })).not.toThrow();

    // whitening over one loss token is undefined (verl raises); no loss token at all skips the step as usual
    const trainer = createGrpoTrainer({ ...base, advantageEstimator: 'reinforce-plus-plus' });
    await expect(trainer.step([sample('a', 1, [5], [1, 6], [1, 0])])).rejects.toThrow(InvalidInputError);
    const skipped = await trainer.step([sample('a', 1, [5], [6], [0]), sample('a', 0, [5], [6], [0])]);
    expect(skipped).toMatchObject({ skipped: true, reason: 'no-loss-tokens' });
    expect(Number.isNaN(skipped.metrics.advantageMean)).toBe(true);
  });
});
