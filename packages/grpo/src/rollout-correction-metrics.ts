import type { MaskArray, RealArray } from './batch-shape';

/**
 * The clamp on every log-ratio before it is exponentiated: `e^±20` bounds a weight to about
 * [2·10⁻⁹, 4.9·10⁸] (verl `SAFETY_BOUND` in `rollout_corr_helper.py`).
 */
export const rolloutLogRatioClamp = 20;

/**
 * The log-ratios of a batch and their per-row reductions, computed once and shared by the weights, the
 * rejection mask, the veto and the metrics. Internal to the rollout correction.
 */
export interface LogRatioRows {
  batch: number;
  responseLength: number;
  mask: MaskArray;
  /** `[batch, responseLength]` `r = logprob − rolloutLogprob` (any value where the mask is 0). */
  logRatio: Float64Array;
  /** `[batch]` `s_i = Σ_t r·m` over the tokens with `m ≠ 0`. */
  rowSums: Float64Array;
  /** `[batch]` `n_i = Σ_t m`. */
  rowCounts: Float64Array;
  /** `Σ_i n_i`. */
  totalCount: number;
}

/**
 * Statistics of a set of per-token weights against the thresholds `[lower, upper]`, as verl logs them for
 * its importance weights (`compute_is_metrics`, keys `rollout_is_*`) and for its rejection weights
 * (`compute_rs_metrics`, keys `rollout_rs_*`). A masked mean is `Σ v·m / Σ m` over the tokens with `m ≠ 0`.
 */
export interface WeightStatistics {
  /** Masked mean of the weights (the importance weights before truncation). verl `_mean`. */
  mean: number;
  /**
   * Largest weight: over the tokens with `m ≠ 0` for token-level weights; for sequence-level weights
   * `exp(min(max_i log wᵢ, 20))` over every row, from the unclamped log-weights. verl `_max`.
   */
  max: number;
  /** Smallest weight, likewise (sequence level: `exp(min_i log wᵢ)`, unclamped). verl `_min`. */
  min: number;
  /**
   * Share above `upper`: tokens (masked mean) for token-level weights, rows for sequence-level ones
   * (compared in log space). For importance weights this is the share truncated. verl `_ratio_fraction_high`.
   */
  fractionHigh: number;
  /** Share below `lower`, likewise. verl `_ratio_fraction_low`. */
  fractionLow: number;
  /** Masked std of the weights clamped to `[lower, upper]`; 0 unless `Σ m > 1`. verl `_std`. */
  std: number;
  /**
   * `1 / maskedMean((c / maskedMean(c))²)` with `c` the weights clamped to `[lower, upper]`: the effective
   * sample size as a fraction of the tokens, 1 when all weights are equal. verl adds 1e-8 to the mean, which
   * float32 drops for any mean ≥ 0.25; here it is used only for a mean of 0. verl `_eff_sample_size`.
   */
  effectiveSampleSize: number;
  /** Mean over all rows of each row's masked mean weight (a row with no token counts as 0). verl `_seq_mean`. */
  sequenceMean: number;
  /** Unbiased std of the row means; 0 for a batch of one. verl `_seq_std`. */
  sequenceStd: number;
  sequenceMax: number;
  sequenceMin: number;
  /** `max_i |row mean − 1|`. verl `_seq_max_deviation`. */
  sequenceMaxDeviation: number;
  /** Share of rows whose mean weight is above `upper`. verl `_seq_fraction_high`. */
  sequenceFractionHigh: number;
  /** Share of rows whose mean weight is below `lower`. verl `_seq_fraction_low`. */
  sequenceFractionLow: number;
}

/** The importance weights' statistics (before truncation) and, with `batchNormalize`, the divisor applied. */
export interface ImportanceMetrics extends WeightStatistics {
  /** The mean the truncated weights were divided by (1 when it was ≤ 1e-8). verl `rollout_is_batch_norm_factor`. */
  batchNormFactor?: number;
}

/** The rejection weights' statistics and how much the rejection removed. */
export interface RejectionMetrics extends WeightStatistics {
  /** Masked mean of `1 − accepted` over the original mask: the share of tokens rejected. verl `rollout_rs_masked_fraction`. */
  maskedFraction: number;
  /**
   * Share of all rows that lost a token to the rejection (token level) or were rejected whole (sequence
   * levels; a row with no token counts with weight 1). verl `rollout_rs_seq_masked_fraction`.
   */
  sequenceMaskedFraction: number;
}

/** The catastrophic-token veto; both 0 when the veto is off. */
export interface VetoMetrics {
  /** Share of rows with a token whose ratio is below the veto threshold. verl `rollout_is_veto_fraction`. */
  fraction: number;
  /** Masked share of such tokens. verl `rollout_is_catastrophic_token_fraction`. */
  catastrophicTokenFraction: number;
}

/** What `computeRolloutCorrection` reports; every statistic is over the original mask. */
export interface RolloutCorrectionMetrics {
  /** Present when the mode computes importance weights. */
  importance?: ImportanceMetrics;
  /** Present when the mode rejects tokens or sequences. */
  rejection?: RejectionMetrics;
  veto: VetoMetrics;
  offPolicy: OffPolicyMetrics;
}

/**
 * How far the rollout engine's policy is from the training policy, over the tokens of the original mask
 * (verl `compute_offpolicy_metrics`). `t_i`, `ρ_i` are row `i`'s mean log-probability under the training and
 * the rollout policy (0 for a row with no token), means over rows take every row.
 */
export interface OffPolicyMetrics {
  /** `mean_i exp(−t_i)`. verl `training_ppl`. */
  trainingPpl: number;
  /** `mean_i (−t_i)`. verl `training_log_ppl`. */
  trainingLogPpl: number;
  /** `mean_i exp(−ρ_i)`. verl `rollout_ppl`. */
  rolloutPpl: number;
  /** `mean_i (−ρ_i)`. verl `rollout_log_ppl`. */
  rolloutLogPpl: number;
  /** `maskedMean(−r)`, the k1 estimate of KL(π_rollout ‖ π_train). verl `kl`. */
  kl: number;
  /** `maskedMean(e^r − r − 1)`, the k3 estimate of the same KL (unclamped). verl `k3_kl`. */
  k3Kl: number;
  /** `mean_i (ρ_i − t_i)`: the log of the perplexity ratio, positive when training finds the text less likely. verl `log_ppl_diff`. */
  logPplDiff: number;
  /** `mean_i |ρ_i − t_i|`. verl `log_ppl_abs_diff`. */
  logPplAbsDiff: number;
  /** verl `log_ppl_diff_max`. */
  logPplDiffMax: number;
  /** verl `log_ppl_diff_min`. */
  logPplDiffMin: number;
  /** `mean_i exp(ρ_i − t_i)`. verl `ppl_ratio`. */
  pplRatio: number;
  /** `maskedMean(exp(clamp(r, ±20))²) − 1`: χ² at token level. verl `chi2_token`. */
  chi2Token: number;
  /** `mean_i exp(2·clamp(s_i, ±20)) − 1`: χ² at sequence level. verl `chi2_seq`. */
  chi2Seq: number;
}

/** Σ v·m / Σ m over the tokens with `m ≠ 0` (verl's `+ 1e-8` on the count is below float32 resolution for a count ≥ 1). */
function maskedMean(values: ArrayLike<number>, rows: LogRatioRows): number {
  const { mask, totalCount } = rows;
  let sum = 0;
  for (let index = 0; index < mask.length; index++) {
    const m = mask[index]!;
    if (m !== 0) sum += values[index]! * m;
  }
  return totalCount > 0 ? sum / totalCount : 0;
}

/** `[batch]` each row's masked mean of `values`; 0 for a row with no token (verl's `0 / (0 + 1e-8)`). */
export function rowMeans(values: ArrayLike<number>, rows: LogRatioRows): Float64Array {
  const { batch, responseLength, mask, rowCounts } = rows;
  const means = new Float64Array(batch);
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    let sum = 0;
    for (let t = offset; t < offset + responseLength; t++) {
      const m = mask[t]!;
      if (m !== 0) sum += values[t]! * m;
    }
    means[row] = rowCounts[row]! > 0 ? sum / rowCounts[row]! : 0;
  }
  return means;
}

function clamp(value: number, lower: number, upper: number): number {
  return value < lower ? lower : value > upper ? upper : value;
}

/** `exp(clamp(x, ±20))`. */
export function boundedExp(logValue: number): number {
  return Math.exp(clamp(logValue, -rolloutLogRatioClamp, rolloutLogRatioClamp));
}

/**
 * {@link WeightStatistics} of per-token `weights` (`[batch, responseLength]`). `rowLogWeights` (`[batch]`)
 * marks sequence-level weights: max, min and the threshold shares then come from these unclamped logs.
 */
export function weightStatistics(options: {
  weights: Float64Array;
  rows: LogRatioRows;
  rowLogWeights: Float64Array | null;
  upper: number;
  lower: number;
}): WeightStatistics {
  const { weights, rows, rowLogWeights, upper, lower } = options;
  const { mask, totalCount } = rows;
  let max = -Infinity;
  let min = Infinity;
  let high = 0;
  let low = 0;
  let clampedSum = 0;
  let clampedSquares = 0;
  for (let index = 0; index < mask.length; index++) {
    const m = mask[index]!;
    if (m === 0) continue;
    const w = weights[index]!;
    if (w > max) max = w;
    if (w < min) min = w;
    if (w > upper) high += m;
    if (w < lower) low += m;
    const c = clamp(w, lower, upper);
    clampedSum += c * m;
    clampedSquares += c * c * m;
  }
  let fractionHigh = high / totalCount;
  let fractionLow = low / totalCount;
  if (rowLogWeights !== null) {
    ({ max, min, fractionHigh, fractionLow } = sequenceExtremes(rowLogWeights, upper, lower));
  }
  const clampedMean = clampedSum / totalCount;
  const meanSquare = clampedSquares / totalCount;
  const scale = clampedMean > 0 ? clampedMean : 1e-8;
  return {
    mean: maskedMean(weights, rows),
    max,
    min,
    fractionHigh,
    fractionLow,
    std: totalCount > 1 ? Math.sqrt(Math.max(0, meanSquare - clampedMean * clampedMean)) : 0,
    effectiveSampleSize: (scale * scale) / meanSquare,
    ...sequenceStatistics(rowMeans(weights, rows), upper, lower),
  };
}

function sequenceExtremes(
  logWeights: Float64Array,
  upper: number,
  lower: number,
): { max: number; min: number; fractionHigh: number; fractionLow: number } {
  const logUpper = Math.log(upper);
  const logLower = Math.log(lower);
  let logMax = -Infinity;
  let logMin = Infinity;
  let high = 0;
  let low = 0;
  for (const value of logWeights) {
    if (value > logMax) logMax = value;
    if (value < logMin) logMin = value;
    if (value > logUpper) high++;
    if (value < logLower) low++;
  }
  return {
    max: Math.exp(Math.min(logMax, rolloutLogRatioClamp)),
    min: Math.exp(logMin),
    fractionHigh: high / logWeights.length,
    fractionLow: low / logWeights.length,
  };
}

type SequenceStatistics = Pick<
  WeightStatistics,
  | 'sequenceMean'
  | 'sequenceStd'
  | 'sequenceMax'
  | 'sequenceMin'
  | 'sequenceMaxDeviation'
  | 'sequenceFractionHigh'
  | 'sequenceFractionLow'
>;

function sequenceStatistics(means: Float64Array, upper: number, lower: number): SequenceStatistics {
  const batch = means.length;
  let sum = 0;
  let max = -Infinity;
  let min = Infinity;
  let deviation = 0;
  let high = 0;
  let low = 0;
  for (const value of means) {
    sum += value;
    if (value > max) max = value;
    if (value < min) min = value;
    deviation = Math.max(deviation, Math.abs(value - 1));
    if (value > upper) high++;
    if (value < lower) low++;
  }
  const mean = sum / batch;
  let squares = 0;
  for (const value of means) squares += (value - mean) * (value - mean);
  return {
    sequenceMean: mean,
    sequenceStd: batch > 1 ? Math.sqrt(squares / (batch - 1)) : 0,
    sequenceMax: max,
    sequenceMin: min,
    sequenceMaxDeviation: deviation,
    sequenceFractionHigh: high / batch,
    sequenceFractionLow: low / batch,
  };
}

/** The {@link OffPolicyMetrics} of a batch, over its original mask. */
export function offPolicyMetrics(
  logprobs: RealArray,
  rolloutLogprobs: RealArray,
  rows: LogRatioRows,
): OffPolicyMetrics {
  const { mask, logRatio, rowSums, totalCount } = rows;
  let klSum = 0;
  let k3Sum = 0;
  let squareSum = 0;
  for (let index = 0; index < mask.length; index++) {
    const m = mask[index]!;
    if (m === 0) continue;
    const r = logRatio[index]!;
    klSum -= r * m;
    k3Sum += (Math.exp(r) - r - 1) * m;
    const w = boundedExp(r);
    squareSum += w * w * m;
  }
  const training = rowMeans(logprobs, rows);
  const rollout = rowMeans(rolloutLogprobs, rows);
  const batch = training.length;
  const gaps = rollout.map((value, row) => value - training[row]!);
  const meanOf = (values: Float64Array, map: (value: number) => number): number =>
    values.reduce((sum, value) => sum + map(value), 0) / batch;
  return {
    trainingPpl: meanOf(training, (t) => Math.exp(-t)),
    trainingLogPpl: meanOf(training, (t) => -t),
    rolloutPpl: meanOf(rollout, (t) => Math.exp(-t)),
    rolloutLogPpl: meanOf(rollout, (t) => -t),
    kl: klSum / totalCount,
    k3Kl: k3Sum / totalCount,
    logPplDiff: meanOf(gaps, (gap) => gap),
    logPplAbsDiff: meanOf(gaps, Math.abs),
    logPplDiffMax: gaps.reduce((max, gap) => Math.max(max, gap), -Infinity),
    logPplDiffMin: gaps.reduce((min, gap) => Math.min(min, gap), Infinity),
    pplRatio: meanOf(gaps, Math.exp),
    chi2Token: squareSum / totalCount - 1,
    chi2Seq: meanOf(rowSums, (s) => Math.exp(2 * clamp(s, -rolloutLogRatioClamp, rolloutLogRatioClamp))) - 1,
  };
}

/** The verl key suffix of each {@link WeightStatistics} field (after `rollout_is_` or `rollout_rs_`). */
const weightStatisticKeys = {
  mean: 'mean',
  max: 'max',
  min: 'min',
  fractionHigh: 'ratio_fraction_high',
  fractionLow: 'ratio_fraction_low',
  std: 'std',
  effectiveSampleSize: 'eff_sample_size',
  sequenceMean: 'seq_mean',
  sequenceStd: 'seq_std',
  sequenceMax: 'seq_max',
  sequenceMin: 'seq_min',
  sequenceMaxDeviation: 'seq_max_deviation',
  sequenceFractionHigh: 'seq_fraction_high',
  sequenceFractionLow: 'seq_fraction_low',
} as const satisfies Record<keyof WeightStatistics, string>;

/** The verl key of each {@link OffPolicyMetrics} field. */
const offPolicyKeys = {
  trainingPpl: 'training_ppl',
  trainingLogPpl: 'training_log_ppl',
  rolloutPpl: 'rollout_ppl',
  rolloutLogPpl: 'rollout_log_ppl',
  kl: 'kl',
  k3Kl: 'k3_kl',
  logPplDiff: 'log_ppl_diff',
  logPplAbsDiff: 'log_ppl_abs_diff',
  logPplDiffMax: 'log_ppl_diff_max',
  logPplDiffMin: 'log_ppl_diff_min',
  pplRatio: 'ppl_ratio',
  chi2Token: 'chi2_token',
  chi2Seq: 'chi2_seq',
} as const satisfies Record<keyof OffPolicyMetrics, string>;

/**
 * The metrics under the names verl logs them (`rollout_corr/rollout_is_mean`, `rollout_corr/kl`, …), for a
 * dashboard that compares runs of both.
 */
export function verlRolloutCorrectionMetrics(metrics: RolloutCorrectionMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = 'rollout_corr/';
  const { importance, rejection, veto, offPolicy } = metrics;
  for (const [field, key] of Object.entries(weightStatisticKeys) as [keyof WeightStatistics, string][]) {
    if (importance !== undefined) out[`${prefix}rollout_is_${key}`] = importance[field];
    if (rejection !== undefined) out[`${prefix}rollout_rs_${key}`] = rejection[field];
  }
  if (importance?.batchNormFactor !== undefined)
    out[`${prefix}rollout_is_batch_norm_factor`] = importance.batchNormFactor;
  if (rejection !== undefined) {
    out[`${prefix}rollout_rs_masked_fraction`] = rejection.maskedFraction;
    out[`${prefix}rollout_rs_seq_masked_fraction`] = rejection.sequenceMaskedFraction;
  }
  out[`${prefix}rollout_is_veto_fraction`] = veto.fraction;
  out[`${prefix}rollout_is_catastrophic_token_fraction`] = veto.catastrophicTokenFraction;
  for (const [field, key] of Object.entries(offPolicyKeys) as [keyof OffPolicyMetrics, string][])
    out[`${prefix}${key}`] = offPolicy[field];
  return out;
}
