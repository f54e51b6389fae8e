import { InvalidInputError } from '@research-ts/spec';
import { expectNumber } from './batch-shape';
import { groupMean, groupMembers, unbiasedStd } from './sample-groups';

/**
 * How a group-relative advantage is formed from outcome scores. Every mode subtracts the mean of the
 * sample's group (the samples of one prompt); they differ in the scale and in the epsilon.
 */
export type AdvantageMode = 'grpo' | 'dr-grpo' | 'trl-group' | 'trl-batch' | 'trl-none';

export interface AdvantageModeRule {
  readonly description: string;
  /** What the centred score is divided by: the group std, the batch std, or nothing. */
  readonly scale: 'group-std' | 'batch-std' | 'none';
  /** The ε of `(s − mean) / (std + ε)` when the caller gives none. */
  readonly defaultEpsilon: number;
  /**
   * A group with one sample: verl uses mean 0 and std 1 (the advantage is the raw score over 1 + ε);
   * TRL's mean is the score itself and its std 0 (the advantage is 0).
   */
  readonly singletonGroup: 'mean-0-std-1' | 'advantage-0';
  readonly source: string;
}

/** The advantage modes; `satisfies` makes the compiler demand one entry per {@link AdvantageMode}. */
export const advantageModes = {
  grpo: {
    description: '(s − group mean) / (unbiased group std + ε); the GRPO paper and ReSearch',
    scale: 'group-std',
    defaultEpsilon: 1e-6,
    singletonGroup: 'mean-0-std-1',
    source: 'verl compute_grpo_outcome_advantage, norm_adv_by_std_in_grpo=True',
  },
  'dr-grpo': {
    description: 's − group mean (Dr.GRPO: no std scaling)',
    scale: 'none',
    defaultEpsilon: 1e-6,
    singletonGroup: 'mean-0-std-1',
    source: 'verl compute_grpo_outcome_advantage, norm_adv_by_std_in_grpo=False',
  },
  'trl-group': {
    description: '(s − group mean) / (unbiased group std + ε), ε = 1e-4',
    scale: 'group-std',
    defaultEpsilon: 1e-4,
    singletonGroup: 'advantage-0',
    source: "TRL GRPOTrainer, scale_rewards='group' (the default)",
  },
  'trl-batch': {
    description: '(s − group mean) / (unbiased std of the whole batch + ε), ε = 1e-4',
    scale: 'batch-std',
    defaultEpsilon: 1e-4,
    singletonGroup: 'advantage-0',
    source: "TRL GRPOTrainer, scale_rewards='batch'",
  },
  'trl-none': {
    description: 's − group mean',
    scale: 'none',
    defaultEpsilon: 1e-4,
    singletonGroup: 'advantage-0',
    source: "TRL GRPOTrainer, scale_rewards='none'",
  },
} as const satisfies Record<AdvantageMode, AdvantageModeRule>;

export interface ComputeAdvantagesOptions {
  /** `[batch]` outcome score of each sample (verl sums the token-level rewards of the response). */
  scores: ArrayLike<number>;
  /** `[batch]` group of each sample (the prompt's uid); samples of a group need not be adjacent. */
  groupIds: ArrayLike<string | number>;
  /** Default `'grpo'`. */
  mode?: AdvantageMode;
  /** Default: the mode's `defaultEpsilon` (1e-6 for verl, 1e-4 for TRL). */
  epsilon?: number;
}

export interface AdvantageResult {
  /** `[batch]` advantage of each sample. */
  advantages: Float64Array;
  /** `[batch]` the baseline subtracted from each sample (its group mean; 0 for a verl group of one). */
  means: Float64Array;
  /** `[batch]` the std each sample was divided by before adding ε (1 for a verl group of one; NaN where the mode does not scale). */
  stds: Float64Array;
}

/**
 * Group-relative advantages of outcome scores, computed in float64.
 *
 * Groups of equal scores get advantage exactly 0 (the mean is taken relative to the group's first
 * score, so identical scores give a zero deviation, not a rounding residue). The std is unbiased (n − 1),
 * as `torch.std`. NaN scores propagate into their group (and, for `'trl-batch'`, the whole batch).
 */
export function computeAdvantages(options: ComputeAdvantagesOptions): AdvantageResult {
  const { scores, groupIds } = options;
  const mode: AdvantageMode = options.mode ?? 'grpo';
  const rule: AdvantageModeRule | undefined = advantageModes[mode];
  if (rule === undefined) throw new InvalidInputError(`unknown advantage mode "${String(mode)}"`, { field: 'mode' });
  const epsilon = options.epsilon ?? rule.defaultEpsilon;
  expectNumber('epsilon', epsilon, (value) => value >= 0 && Number.isFinite(value), 'must be a finite number ≥ 0');
  const batch = scores.length;
  const groups = groupMembers(scores, groupIds);
  const advantages = new Float64Array(batch);
  const means = new Float64Array(batch);
  const stds = new Float64Array(batch);
  const batchStd = rule.scale === 'batch-std' ? unbiasedStd(scores, null) : Number.NaN;

  for (const indices of groups) {
    let mean: number;
    let std: number;
    if (indices.length === 1) {
      const only = scores[indices[0]!]!;
      if (rule.singletonGroup === 'mean-0-std-1') {
        mean = 0;
        std = 1;
      } else {
        mean = only;
        std = 0;
      }
    } else {
      mean = groupMean(scores, indices);
      std = unbiasedStd(scores, indices, mean);
    }
    if (rule.scale === 'batch-std') std = batch > 1 ? batchStd : 0;
    for (const index of indices) {
      const centred = scores[index]! - mean;
      means[index] = mean;
      if (rule.scale === 'none') {
        advantages[index] = centred;
        stds[index] = Number.NaN;
      } else {
        advantages[index] = centred / (std + epsilon);
        stds[index] = std;
      }
    }
  }
  return { advantages, means, stds };
}

/**
 * verl's GRPO advantage: `(s − mean) / (std + epsilon)` per group, or `s − mean` with
 * `normalizeByStd: false` (Dr.GRPO). Groups of one get mean 0 and std 1.
 *
 * @returns `[batch]` advantages.
 */
export function computeGrpoAdvantages(options: {
  scores: ArrayLike<number>;
  groupIds: ArrayLike<string | number>;
  epsilon?: number;
  normalizeByStd?: boolean;
}): Float64Array {
  const { scores, groupIds, epsilon = 1e-6, normalizeByStd = true } = options;
  return computeAdvantages({ scores, groupIds, epsilon, mode: normalizeByStd ? 'grpo' : 'dr-grpo' }).advantages;
}
