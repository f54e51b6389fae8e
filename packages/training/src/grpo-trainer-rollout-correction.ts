import {
  computeRolloutCorrection,
  resolveRolloutCorrectionSettings,
  verlRolloutCorrectionMetrics,
  type RolloutCorrectionMetrics,
  type RolloutCorrectionSettings,
} from '@research-ts/grpo';
import { InvalidConfigError, InvalidInputError, type TokenScores } from '@research-ts/spec';
import type { ResponseLayout } from './grpo-trainer-advantages';
import { fromScorePositions, toScorePositions, type MicroBatch, type TrainingSample } from './pack-trajectories';

/** What a step reports of its rollout correction. */
export interface GrpoRolloutCorrectionMetrics {
  /** `computeRolloutCorrection`'s metrics, over the loss mask before the correction. */
  metrics: RolloutCorrectionMetrics;
  /** The same under verl's names (`rollout_corr/kl`, `rollout_corr/rollout_rs_masked_fraction`, …). */
  verl: Record<string, number>;
  /** Loss tokens the rejection and the veto took out of the loss. */
  rejectedTokenCount: number;
}

/**
 * Checks the `rolloutCorrection` option when the trainer is created (grpo's `resolveRolloutCorrectionSettings`:
 * the mode and every threshold), as an `InvalidConfigError` naming the field; returns whether the mode has
 * importance weights.
 */
export function checkRolloutCorrection(settings: RolloutCorrectionSettings): { weighted: boolean } {
  try {
    return { weighted: resolveRolloutCorrectionSettings(settings).rule.importance !== null };
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new InvalidConfigError(error.field ?? 'rolloutCorrection', error.problem, { cause: error });
    }
    throw error;
  }
}

/** Each sample's `rolloutLogprobs`: present, one per response token, finite where the loss mask is 1. */
export function checkRolloutLogprobs(samples: readonly TrainingSample[]): void {
  samples.forEach((sample, index) => {
    const field = `samples.${index}.rolloutLogprobs`;
    const { rolloutLogprobs } = sample;
    const { responseIds, lossMask } = sample.trajectory;
    if (!(rolloutLogprobs instanceof Float32Array)) {
      throw new InvalidInputError(
        `is ${describe(rolloutLogprobs)}; the rollout correction needs the sampler's logprob of each response token (a Float32Array)`,
        { field },
      );
    }
    if (rolloutLogprobs.length !== responseIds.length) {
      throw new InvalidInputError(`has ${rolloutLogprobs.length} values for ${responseIds.length} response tokens`, {
        field,
      });
    }
    lossMask.forEach((m, j) => {
      if (m !== 0 && !Number.isFinite(rolloutLogprobs[j]!)) {
        throw new InvalidInputError(`value ${j} is ${rolloutLogprobs[j]} on a token in the loss`, { field });
      }
    });
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value;
}

export interface CorrectedBatch {
  /** `[samples, width]` the loss mask after the rejection and the veto. */
  mask: Uint8Array;
  /** The micro-batches with that mask on their score positions; those left without a loss token are dropped. */
  microBatches: MicroBatch[];
  /** The old scores of the micro-batches kept. */
  oldScores: TokenScores[];
  /**
   * Per micro-batch kept, `[rows, length − 1]` the importance weight of each token's policy loss on its score
   * position (`computeActorLoss`'s `tokenWeights`); undefined for a mode without importance weights.
   */
  tokenWeights: (Float32Array | undefined)[];
  report: GrpoRolloutCorrectionMetrics;
}

/**
 * The rollout correction of a whole batch, as verl computes it before the advantages
 * (`compute_rollout_correction_and_add_to_batch`): the trainer's old log-probabilities against the sampler's,
 * over every sample at once (so sequence-level rules, the batch statistics and the metrics see the batch),
 * then the corrected mask replaces the loss mask of every term and of the normalisers, and the importance weights
 * (with `weighted`) scale each token's policy-loss term, not the KL or entropy terms (verl `rollout_is_weights`).
 */
export function correctBatch(
  samples: readonly TrainingSample[],
  layout: ResponseLayout,
  microBatches: readonly MicroBatch[],
  oldScores: readonly TokenScores[],
  settings: RolloutCorrectionSettings,
  weighted: boolean,
): CorrectedBatch {
  const { width, mask } = layout;
  const logprobs = new Float32Array(samples.length * width);
  microBatches.forEach((micro, index) => fromScorePositions(oldScores[index]!.logprobs, micro, width, logprobs));
  const rolloutLogprobs = new Float32Array(samples.length * width);
  samples.forEach((sample, index) => rolloutLogprobs.set(sample.rolloutLogprobs!, index * width));
  const result = computeRolloutCorrection({ ...settings, logprobs, rolloutLogprobs, mask, responseLength: width });
  let rejectedTokenCount = 0;
  for (let index = 0; index < mask.length; index++) rejectedTokenCount += mask[index]! - result.mask[index]!;
  const kept: MicroBatch[] = [];
  const keptScores: TokenScores[] = [];
  const tokenWeights: (Float32Array | undefined)[] = [];
  microBatches.forEach((micro, index) => {
    const size = micro.lossMask.length;
    const lossMask = toScorePositions(result.mask, width, micro, new Uint8Array(size));
    let lossTokenCount = 0;
    for (const m of lossMask) lossTokenCount += m;
    if (lossTokenCount === 0) return;
    kept.push({ ...micro, lossMask, lossTokenCount });
    keptScores.push(oldScores[index]!);
    tokenWeights.push(weighted ? toScorePositions(result.weights, width, micro, new Float32Array(size)) : undefined);
  });
  return {
    mask: result.mask,
    microBatches: kept,
    oldScores: keptScores,
    tokenWeights,
    report: { metrics: result.metrics, verl: verlRolloutCorrectionMetrics(result.metrics), rejectedTokenCount },
  };
}
