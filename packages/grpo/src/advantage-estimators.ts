import { InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, type MaskArray } from './batch-shape';
import { advantageModes, computeAdvantages, type AdvantageMode } from './compute-advantages';
import { computeGpgAdvantages, computeOpoAdvantages, computeRlooAdvantages } from './group-baseline-advantages';
import { computeReinforcePlusPlusAdvantages, computeReinforcePlusPlusBaselineAdvantages } from './reinforce-plus-plus';

/**
 * Every advantage estimator the package knows, selectable by name: the group-normalised modes of
 * {@link computeAdvantages} (`grpo`, `dr-grpo` and TRL's) and verl's other critic-free estimators.
 * The verl ones match verl/trainer/ppo/core_algos.py as read at volcengine/verl
 * 012be9d9dcb7c38499f23616142870d2682757fc (the function is named in each rule's `source`).
 */
export type AdvantageEstimator =
  AdvantageMode | 'rloo' | 'opo' | 'gpg' | 'reinforce-plus-plus' | 'reinforce-plus-plus-baseline';

/** The numeric options an estimator reads; the others it ignores, as verl ignores its unused arguments. */
export interface AdvantageEstimatorKnobs {
  /** The ε of `(s − mean) / (std + ε)`. */
  readonly epsilon?: number;
  /** The discount of the token returns (verl `algorithm.gamma`). */
  readonly gamma?: number;
  /** GPG's divisor (verl `f_norm`). */
  readonly fNorm?: number;
}

export interface AdvantageEstimatorRule {
  readonly description: string;
  /**
   * `'sequence'`: one advantage per sample, from the outcome scores, spread over the sample's masked
   * tokens. `'token'`: the advantage is formed per token (whitened over every masked token of the batch).
   */
  readonly level: 'sequence' | 'token';
  /** Whether samples are compared within their group, so `groupIds` is required. */
  readonly grouped: boolean;
  /** What it reads: the per-sample outcome scores, or the per-token rewards themselves. */
  readonly input: 'scores' | 'token-rewards';
  /** The knobs it reads and their defaults. */
  readonly defaults: AdvantageEstimatorKnobs;
  /** The function it matches (verl core_algos.py, or TRL). */
  readonly source: string;
}

/**
 * The rule of a group-normalised mode of {@link computeAdvantages}, from its `advantageModes` entry: it reads
 * `epsilon` unless it does not scale.
 */
function advantageModeEstimator<Mode extends AdvantageMode>(mode: Mode) {
  const { description, scale, defaultEpsilon, source } = advantageModes[mode];
  return {
    description,
    level: 'sequence',
    grouped: true,
    input: 'scores',
    defaults: scale === 'none' ? {} : { epsilon: defaultEpsilon },
    source,
  } as const satisfies AdvantageEstimatorRule;
}

/** The estimators; `satisfies` makes the compiler demand one entry per {@link AdvantageEstimator}. */
export const advantageEstimators = {
  grpo: advantageModeEstimator('grpo'),
  'dr-grpo': advantageModeEstimator('dr-grpo'),
  'trl-group': advantageModeEstimator('trl-group'),
  'trl-batch': advantageModeEstimator('trl-batch'),
  'trl-none': advantageModeEstimator('trl-none'),
  rloo: {
    description: 's − mean of the other samples of the group = (s − group mean) · n / (n − 1); a group of one keeps s',
    level: 'sequence',
    grouped: true,
    input: 'scores',
    defaults: {},
    source: 'verl compute_rloo_outcome_advantage',
  },
  opo: {
    description: 's − Σ L·s / Σ L over the group, L the response length (mask sum); a group of one keeps s',
    level: 'sequence',
    grouped: true,
    input: 'scores',
    defaults: {},
    source: 'verl compute_opo_outcome_advantage',
  },
  gpg: {
    description: 'α · (s − group mean) / fNorm, α = batch / max(1, non-zero scores); a group of one has mean 0',
    level: 'sequence',
    grouped: true,
    input: 'scores',
    defaults: { fNorm: 1 },
    source: 'verl compute_gpg_outcome_advantage',
  },
  'reinforce-plus-plus': {
    description: 'discounted token returns, cut where the mask is 0, whitened over the batch masked tokens',
    level: 'token',
    grouped: false,
    input: 'token-rewards',
    defaults: { gamma: 1 },
    source: 'verl compute_reinforce_plus_plus_outcome_advantage',
  },
  'reinforce-plus-plus-baseline': {
    description: 's − group mean on every token, whitened over the batch masked tokens',
    level: 'token',
    grouped: true,
    input: 'scores',
    defaults: {},
    source: 'verl compute_reinforce_plus_plus_baseline_outcome_advantage',
  },
} as const satisfies Record<AdvantageEstimator, AdvantageEstimatorRule>;

export interface ComputeAdvantageEstimateOptions {
  /** Default `'grpo'`. */
  estimator?: AdvantageEstimator;
  /** `[batch]` outcome score of each sample. Give this or `tokenRewards`, not both. */
  scores?: ArrayLike<number>;
  /**
   * `[batch, responseLength]` row-major reward of each token; required by `'reinforce-plus-plus'`. The
   * other estimators use each row's sum over all tokens as its score, as verl does.
   */
  tokenRewards?: ArrayLike<number>;
  /** `[batch]` group (prompt uid) of each sample; required unless the estimator is not `grouped`. */
  groupIds?: ArrayLike<string | number>;
  /** `[batch, responseLength]` row-major response mask. */
  mask: MaskArray;
  responseLength: number;
  /** Default: the estimator's (see {@link advantageEstimators}); validated whenever given, read only where listed. */
  epsilon?: number;
  gamma?: number;
  fNorm?: number;
}

export interface AdvantageEstimate {
  /** `[batch, responseLength]` advantage of each token; exactly 0 where the mask is 0. */
  advantages: Float64Array;
  /** `[batch]` advantage of each sample for a `'sequence'` estimator (before the mask); null for `'token'`. */
  sampleAdvantages: Float64Array | null;
  /** `[batch, responseLength]` verl's second output: the discounted returns for REINFORCE++, else `advantages` itself. */
  returns: Float64Array;
}

/**
 * Advantages by any estimator's name, in one call. `sampleAdvantages` of a `'sequence'` estimator are what
 * {@link computeAdvantages} or the estimator's own function returns, bit for bit; `advantages` spreads them
 * over the mask (`a · m`, exactly 0 where `m = 0`). Both shapes are accepted by `computeActorLoss`.
 */
export function computeAdvantageEstimate(options: ComputeAdvantageEstimateOptions): AdvantageEstimate {
  const estimator: AdvantageEstimator = options.estimator ?? 'grpo';
  if (!Object.hasOwn(advantageEstimators, estimator)) {
    throw new InvalidInputError(`unknown advantage estimator "${String(estimator)}"`, { field: 'estimator' });
  }
  checkKnobs(options);
  const { mask, responseLength, tokenRewards } = options;
  const batch = rowCount('mask', mask, responseLength);
  if ((options.scores === undefined) === (tokenRewards === undefined)) {
    throw new InvalidInputError('give scores ([batch]) or tokenRewards ([batch, responseLength]), exactly one', {
      field: 'scores',
    });
  }
  if (estimator === 'reinforce-plus-plus') {
    if (tokenRewards === undefined) {
      throw new InvalidInputError('reinforce-plus-plus discounts per-token rewards: give tokenRewards', {
        field: 'tokenRewards',
      });
    }
    const result = computeReinforcePlusPlusAdvantages({ tokenRewards, mask, responseLength, gamma: options.gamma });
    return { ...result, sampleAdvantages: null };
  }
  const scores = outcomeScores(options, batch);
  const groupIds = options.groupIds;
  if (groupIds === undefined) {
    throw new InvalidInputError(`${estimator} compares the samples of a group: give groupIds`, { field: 'groupIds' });
  }
  if (estimator === 'reinforce-plus-plus-baseline') {
    const advantages = computeReinforcePlusPlusBaselineAdvantages({ scores, groupIds, mask, responseLength });
    return { advantages, sampleAdvantages: null, returns: advantages };
  }
  const sampleAdvantages = perSampleAdvantages(estimator, scores, groupIds, options);
  const advantages = spreadOverMask(sampleAdvantages, mask, responseLength);
  return { advantages, sampleAdvantages, returns: advantages };
}

function perSampleAdvantages(
  estimator: AdvantageMode | 'rloo' | 'opo' | 'gpg',
  scores: ArrayLike<number>,
  groupIds: ArrayLike<string | number>,
  options: ComputeAdvantageEstimateOptions,
): Float64Array {
  switch (estimator) {
    case 'rloo':
      return computeRlooAdvantages({ scores, groupIds });
    case 'opo':
      return computeOpoAdvantages({ scores, groupIds, mask: options.mask, responseLength: options.responseLength });
    case 'gpg':
      return computeGpgAdvantages({ scores, groupIds, fNorm: options.fNorm });
    default:
      return computeAdvantages({ scores, groupIds, mode: estimator, epsilon: options.epsilon }).advantages;
  }
}

/** `[batch]` scores: as given, or each row's sum of `tokenRewards` over every token (verl sums without the mask). */
function outcomeScores(options: ComputeAdvantageEstimateOptions, batch: number): ArrayLike<number> {
  const { scores, tokenRewards, responseLength } = options;
  if (scores !== undefined) {
    expectLength('scores', scores, batch, '[batch], one per mask row');
    return scores;
  }
  expectLength('tokenRewards', tokenRewards!, batch * responseLength, '[batch, responseLength], as the mask');
  const sums = new Float64Array(batch);
  for (let row = 0; row < batch; row++) {
    let sum = 0;
    for (let t = 0; t < responseLength; t++) sum += tokenRewards![row * responseLength + t]!;
    sums[row] = sum;
  }
  return sums;
}

/** Checks every knob given, whether or not the estimator reads it. */
function checkKnobs({ epsilon, gamma, fNorm }: ComputeAdvantageEstimateOptions): void {
  if (epsilon !== undefined) {
    expectNumber('epsilon', epsilon, (value) => value >= 0 && Number.isFinite(value), 'must be a finite number ≥ 0');
  }
  if (gamma !== undefined) {
    expectNumber('gamma', gamma, (value) => value >= 0 && value <= 1, 'must be a finite number in [0, 1]');
  }
  if (fNorm !== undefined) {
    expectNumber('fNorm', fNorm, (value) => Number.isFinite(value) && value > 0, 'must be a finite number > 0');
  }
}

/** `out[i, t] = advantages[i] · mask[i, t]`, exactly 0 where the mask is 0 (even for a NaN advantage). */
function spreadOverMask(advantages: Float64Array, mask: MaskArray, responseLength: number): Float64Array {
  const out = new Float64Array(mask.length);
  for (let index = 0; index < mask.length; index++) {
    const weight = mask[index]!;
    out[index] = weight === 0 ? 0 : advantages[Math.floor(index / responseLength)]! * weight;
  }
  return out;
}
