import type { ScoredRollout } from '@research-ts/evaluators';
import {
  expectNumber,
  groupsWithVariance,
  overlongFilterMask,
  overlongPenalties,
  type OverlongPenaltyOptions,
} from '@research-ts/grpo';
import type { RolloutSample } from '@research-ts/rollout';
import { deriveSeed, InvalidConfigError } from '@research-ts/spec';

/** DAPO's dynamic sampling in `createTrainStep`. */
export interface DynamicSamplingOptions {
  /**
   * Rollout rounds per step, the first included (verl's DAPO `max_num_gen_batches`), an integer ≥ 1. Each round
   * after the first rolls out as many new questions as the batch lacks groups. When the rounds run out the step
   * trains on the groups it kept (verl raises instead).
   */
  maxRounds: number;
}

/** What dynamic sampling did in one step. */
export interface DynamicSamplingReport {
  /** Rollout rounds run. */
  rounds: number;
  /** Groups rolled out over all rounds. */
  generatedGroups: number;
  /** Groups whose rewards were all equal, dropped. */
  droppedGroups: number;
  /** Groups trained on (at most the number of questions asked for). */
  keptGroups: number;
}

/** DAPO's soft overlong punishment; the response budget is the `L_max`. */
export interface OverlongPenaltySettings {
  /** `L_cache`: the last tokens before the budget over which the penalty grows, in (0, responseBudget]. */
  bufferLength: number;
  /** The penalty at the budget, ≥ 0; default 1 (the paper's and verl's DAPO recipe). */
  penaltyFactor?: number;
}

export interface DapoSettings {
  dynamicSampling: DynamicSamplingOptions | undefined;
  overlongPenalty: OverlongPenaltyOptions | undefined;
  overlongFiltering: boolean;
}

/** Checks the DAPO options of `createTrainStep` (an `InvalidConfigError` naming the field). */
export function checkDapoOptions(options: {
  responseBudget: number;
  dynamicSampling?: DynamicSamplingOptions;
  overlongPenalty?: OverlongPenaltySettings;
  overlongFiltering?: boolean;
}): DapoSettings {
  const { dynamicSampling, responseBudget } = options;
  if (dynamicSampling !== undefined) {
    expectNumber(
      'dynamicSampling.maxRounds',
      dynamicSampling?.maxRounds,
      (value) => Number.isInteger(value) && value >= 1,
      'must be an integer ≥ 1',
    );
  }
  let overlongPenalty: OverlongPenaltyOptions | undefined;
  if (options.overlongPenalty !== undefined) {
    const { bufferLength, penaltyFactor } = options.overlongPenalty;
    overlongPenalty = { maxResponseLength: responseBudget, bufferLength, ...definedFactor(penaltyFactor) };
    try {
      overlongPenalties([], overlongPenalty); // grpo's rules for the knobs
    } catch (error) {
      if (error instanceof InvalidConfigError && error.path.startsWith('overlong.')) {
        const field = error.path.replace('overlong.', 'overlongPenalty.');
        throw new InvalidConfigError(field, error.problem.replace('maxResponseLength', 'responseBudget'), {
          cause: error,
        });
      }
      throw error;
    }
  }
  const overlongFiltering = options.overlongFiltering ?? false;
  if (typeof overlongFiltering !== 'boolean') {
    throw new InvalidConfigError('overlongFiltering', `must be a boolean, got ${String(overlongFiltering)}`);
  }
  return { dynamicSampling, overlongPenalty, overlongFiltering };
}

function definedFactor(penaltyFactor: number | undefined): { penaltyFactor?: number } {
  return penaltyFactor === undefined ? {} : { penaltyFactor };
}

/** The sampling seed of round `round`: the step's seed for the first, a seed derived from it for the others. */
export function roundSeed(seed: number, round: number): number {
  return round === 0 ? seed : deriveSeed(seed, `dynamic-sampling round ${round}`);
}

/**
 * Each sample's reward: its score's, plus with `penalty` grpo's `overlongPenalty` of its response length in
 * tokens (generated and inserted, as the response budget counts them).
 */
export function overlongRewards(
  scores: readonly ScoredRollout[],
  samples: readonly RolloutSample[],
  responseBudget: number,
  penalty: OverlongPenaltyOptions | undefined,
): number[] {
  if (penalty === undefined) return scores.map((score) => score.reward);
  const lengths = samples.map((sample) => sample.trajectory.responseIds.length);
  const penalties = overlongPenalties(lengths, { ...penalty, maxResponseLength: responseBudget });
  return scores.map((score, index) => score.reward + penalties[index]!);
}

/**
 * The samples of a round in a group with varied rewards (grpo's `groupsWithVariance` over the rewards the
 * advantages will see, a group of one kept as verl keeps it), at most as many groups as the batch still lacks;
 * the counts go into `report`.
 */
export function variedGroups(
  samples: readonly RolloutSample[],
  rewards: readonly number[],
  report: DynamicSamplingReport,
  missing: number,
): Uint8Array {
  const { keptGroups, droppedGroups } = groupsWithVariance(
    rewards,
    samples.map((sample) => sample.promptIndex),
  );
  const taken = new Set(keptGroups.slice(0, missing));
  report.rounds++;
  report.generatedGroups += keptGroups.length + droppedGroups.length;
  report.droppedGroups += keptGroups.length + droppedGroups.length - taken.size;
  report.keptGroups += taken.size;
  return Uint8Array.from(samples, (sample) => (taken.has(sample.promptIndex) ? 1 : 0));
}

/**
 * DAPO's overlong filtering: `keep[i]` is 0 for a sample that stopped on the response budget
 * (`finishReason: 'budget'`; grpo's `overlongFilterMask` with the budget as the limit), and `indices` lists those.
 */
export function overlongFilter(
  samples: readonly RolloutSample[],
  responseBudget: number,
): { keep: Uint8Array; indices: number[] } {
  const keep = overlongFilterMask({
    responseLengths: samples.map((sample) => sample.trajectory.responseIds.length),
    maxResponseLength: responseBudget,
    finished: samples.map((sample) => sample.trajectory.finishReason !== 'budget'),
  });
  const indices = [...keep.keys()].filter((index) => keep[index] === 0);
  return { keep, indices };
}
