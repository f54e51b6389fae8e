import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, type MaskArray, type RealArray } from './batch-shape';
import {
  boundedExp,
  offPolicyMetrics,
  rowMeans,
  weightStatistics,
  type ImportanceMetrics,
  type LogRatioRows,
  type RejectionMetrics,
  type RolloutCorrectionMetrics,
  type VetoMetrics,
} from './rollout-correction-metrics';

/**
 * Correction for rollouts sampled by another engine (vLLM in bf16, say) or by an older checkpoint than the
 * policy that computes the training log-probabilities. Per token, `r = logprob − rolloutLogprob` is the log
 * of `π_train / π_rollout`. Every exponential is taken of a log clamped to ±20.
 *
 * - Importance weights (verl `rollout_is`): `token` — `w = e^r` per token; `sequence` — `w_i = e^{s_i}`,
 *   `s_i = Σ_t r·m`, for every token of row `i`. Truncated from above at `threshold` (TIS), never from below.
 * - Rejection (verl `rollout_rs`): a token (`token`: `e^r`) or a whole row (`sequence`: `e^{s_i}`;
 *   `geometric`: `e^{s_i / n_i}`, the geometric mean of the token ratios) is kept when its weight is in
 *   `[rejectionThresholdLower, rejectionThreshold]`, removed from the mask otherwise.
 * - Veto (verl `rollout_token_veto_threshold`): a row with any token whose unclamped ratio is below
 *   `vetoThreshold` is removed whole.
 */
export type RolloutCorrectionMode =
  | 'token-tis'
  | 'sequence-tis'
  | 'sequence-tis-rejection'
  | 'sequence-mis'
  | 'token-rejection'
  | 'sequence-rejection'
  | 'geometric-rejection'
  | 'metrics-only';

/** verl `rollout_is`. */
export type ImportanceLevel = 'token' | 'sequence';
/** verl `rollout_rs`. */
export type RejectionLevel = 'token' | 'sequence' | 'geometric';

export interface RolloutCorrectionModeRule {
  readonly description: string;
  readonly importance: ImportanceLevel | null;
  readonly rejection: RejectionLevel | null;
  /** `threshold` when the caller gives none: the truncation threshold, and the rejection upper threshold. */
  readonly defaultThreshold: number;
  /** `rejectionThresholdLower` when the caller gives none: `1 / rejectionThreshold`, or a number. */
  readonly defaultRejectionThresholdLower: 'reciprocal' | number;
  /** `vetoThreshold` when the caller gives none; `null`: no veto. */
  readonly defaultVetoThreshold: number | null;
  /** The verl setting this mode is (`rollout_is` / `rollout_rs` and the `RolloutCorrectionConfig` preset). */
  readonly source: string;
}

/** The rollout correction modes; `satisfies` makes the compiler demand one entry per {@link RolloutCorrectionMode}. */
export const rolloutCorrectionModes = {
  'token-tis': {
    description: 'per-token ratios truncated at 2 (low variance, biased)',
    importance: 'token',
    rejection: null,
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: "verl rollout_is='token' (preset token_is / token_tis)",
  },
  'sequence-tis': {
    description: 'one ratio per sequence, the product of its token ratios, truncated at 2',
    importance: 'sequence',
    rejection: null,
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: "verl rollout_is='sequence' (preset seq_is)",
  },
  'sequence-tis-rejection': {
    description: 'sequence ratios truncated at 2; sequences whose ratio is outside [1/2, 2] are masked',
    importance: 'sequence',
    rejection: 'sequence',
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: "verl rollout_is='sequence', rollout_rs='sequence' (preset seq_is_rs)",
  },
  'sequence-mis': {
    description: 'sequence ratios truncated at 2; sequences whose ratio is above 2 are masked (no lower bound)',
    importance: 'sequence',
    rejection: 'sequence',
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 0,
    defaultVetoThreshold: null,
    source: 'verl preset seq_mis (seq_is_rs with rollout_rs_threshold_lower=0)',
  },
  'token-rejection': {
    description: 'tokens whose ratio is outside [1/2, 2] are masked; no weights',
    importance: null,
    rejection: 'token',
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: "verl rollout_rs='token' (no preset)",
  },
  'sequence-rejection': {
    description: 'sequences whose ratio is outside [1/2, 2] are masked; no weights',
    importance: null,
    rejection: 'sequence',
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: "verl rollout_rs='sequence' (no preset)",
  },
  'geometric-rejection': {
    description: 'sequences whose geometric-mean ratio is outside [1/1.001, 1.001] are masked; veto at 1e-4',
    importance: null,
    rejection: 'geometric',
    defaultThreshold: 1.001,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: 1e-4,
    source: "verl rollout_rs='geometric' with rollout_token_veto_threshold=1e-4 (preset geo_rs / geo_mis)",
  },
  'metrics-only': {
    description: 'no weights, no rejection: the off-policy metrics alone',
    importance: null,
    rejection: null,
    defaultThreshold: 2,
    defaultRejectionThresholdLower: 'reciprocal',
    defaultVetoThreshold: null,
    source: 'verl rollout_is=None, rollout_rs=None (preset disabled)',
  },
} as const satisfies Record<RolloutCorrectionMode, RolloutCorrectionModeRule>;

/** The knobs of a rollout correction. */
export interface RolloutCorrectionSettings {
  mode: RolloutCorrectionMode;
  /**
   * The mode's threshold: where importance weights are truncated (verl `rollout_is_threshold`) and, unless
   * `rejectionThreshold` is given, the rejection's upper bound. Default: the mode's (2; 1.001 for geometric).
   */
  threshold?: number;
  /** Upper bound of the accepted ratios (verl `rollout_rs_threshold`). Default `threshold`. */
  rejectionThreshold?: number;
  /** Lower bound of the accepted ratios (verl `rollout_rs_threshold_lower`). Default `1 / rejectionThreshold` (0 for `sequence-mis`). */
  rejectionThresholdLower?: number;
  /** Rows with a token ratio below this are removed (verl `rollout_token_veto_threshold`); `null` turns the veto off. Default: the mode's. */
  vetoThreshold?: number | null;
  /** Divide the truncated weights by their batch mean (verl `rollout_is_batch_normalize`). Default false. */
  batchNormalize?: boolean;
}

/** {@link RolloutCorrectionSettings} with every default filled in and checked. */
export interface ResolvedRolloutCorrectionSettings {
  rule: RolloutCorrectionModeRule;
  threshold: number;
  rejectionThreshold: number;
  rejectionThresholdLower: number;
  vetoThreshold: number | null;
  batchNormalize: boolean;
}

const positive = (value: number) => value > 0 && Number.isFinite(value);

/**
 * Fills in the defaults of `settings` and checks every knob, before any data is seen; throws
 * `InvalidConfigError` naming the field (`rolloutCorrection.threshold`, …), `InvalidInputError` for an
 * unknown mode. Knobs the mode does not use are checked all the same.
 */
export function resolveRolloutCorrectionSettings(
  settings: RolloutCorrectionSettings,
): ResolvedRolloutCorrectionSettings {
  const rule: RolloutCorrectionModeRule | undefined = rolloutCorrectionModes[settings.mode];
  if (rule === undefined) {
    throw new InvalidInputError(
      `unknown rollout correction mode "${String(settings.mode)}" (expected one of ${Object.keys(rolloutCorrectionModes).join(', ')})`,
      { field: 'rolloutCorrection.mode' },
    );
  }
  const threshold = settings.threshold ?? rule.defaultThreshold;
  expectNumber('rolloutCorrection.threshold', threshold, positive, 'must be a finite number > 0');
  const rejectionThreshold = settings.rejectionThreshold ?? threshold;
  expectNumber('rolloutCorrection.rejectionThreshold', rejectionThreshold, positive, 'must be a finite number > 0');
  const rejectionThresholdLower =
    settings.rejectionThresholdLower ??
    (rule.defaultRejectionThresholdLower === 'reciprocal'
      ? 1 / rejectionThreshold
      : rule.defaultRejectionThresholdLower);
  expectNumber(
    'rolloutCorrection.rejectionThresholdLower',
    rejectionThresholdLower,
    (value) => value >= 0 && value <= rejectionThreshold,
    `must be in [0, rejectionThreshold = ${rejectionThreshold}]`,
  );
  const vetoThreshold = settings.vetoThreshold === undefined ? rule.defaultVetoThreshold : settings.vetoThreshold;
  if (vetoThreshold !== null) {
    expectNumber('rolloutCorrection.vetoThreshold', vetoThreshold, positive, 'must be a finite number > 0, or null');
  }
  const batchNormalize = settings.batchNormalize ?? false;
  if (typeof batchNormalize !== 'boolean') {
    throw new InvalidConfigError(
      'rolloutCorrection.batchNormalize',
      `must be a boolean, got ${String(batchNormalize)}`,
    );
  }
  return { rule, threshold, rejectionThreshold, rejectionThresholdLower, vetoThreshold, batchNormalize };
}

export interface RolloutCorrectionOptions extends RolloutCorrectionSettings {
  /** `[batch, responseLength]` the training policy's log-probabilities of the sampled tokens (verl `old_log_prob`). */
  logprobs: RealArray;
  /** `[batch, responseLength]` the rollout engine's log-probabilities of the same tokens (verl `rollout_log_probs`). */
  rolloutLogprobs: RealArray;
  /** `[batch, responseLength]` the loss mask; must select at least one token. */
  mask: MaskArray;
  responseLength: number;
}

export interface RolloutCorrectionResult {
  /**
   * `[batch, responseLength]` the factor of each token's policy loss: the truncated (and, with
   * `batchNormalize`, normalised) importance weight times the mask; 1 on every token with `m ≠ 0` when the
   * mode has no importance weights; 0 where the mask is 0.
   */
  weights: Float32Array;
  /** `[batch, responseLength]` 1 where the mask is ≠ 0 and neither the rejection nor the veto removed the token. */
  mask: Uint8Array;
  metrics: RolloutCorrectionMetrics;
}

/**
 * Importance weights, rejection mask and metrics of a rollout correction (verl
 * `compute_rollout_correction_and_rejection_mask`), in float64.
 *
 * How the trainer applies them, as verl's policy losses do (`core_algos.py`: each `compute_policy_loss_*`
 * multiplies its per-token loss by `rollout_is_weights` before `agg_loss`): pass `weights` as the
 * `tokenWeights` of `computeActorLoss` (or `computePolicyLoss`). The per-token policy loss `L` (the surrogate of
 * the selected `policyLoss`) becomes `w·L`, and since the weights carry no gradient, its gradient w.r.t. each
 * logprob is `w · dL/dlogprob`; geo-mean, one loss per sequence, is multiplied by the geometric mean of its row's
 * weights (verl's `geo_mean`). The KL and entropy terms are not weighted. The returned `mask` replaces the
 * loss mask for every term (verl overwrites `response_mask`), so the aggregation's token and sequence
 * counts drop the rejected tokens. With a fractional loss mask, the new mask is `mask · result.mask`.
 *
 * Every statistic reads the original mask; a row with no token has `s_i = 0` and mean weight 0 in the row
 * statistics, as in verl (its masked mean of an empty row is `0 / 1e-8`).
 */
export function computeRolloutCorrection(options: RolloutCorrectionOptions): RolloutCorrectionResult {
  const settings = resolveRolloutCorrectionSettings(options);
  const rows = logRatioRows(options);
  const { rule } = settings;
  const size = rows.batch * rows.responseLength;
  const keep = new Uint8Array(size);
  for (let index = 0; index < size; index++) keep[index] = rows.mask[index] === 0 ? 0 : 1;
  const metrics: RolloutCorrectionMetrics = {
    veto: { fraction: 0, catastrophicTokenFraction: 0 },
    offPolicy: offPolicyMetrics(options.logprobs, options.rolloutLogprobs, rows),
  };
  let weights: Float32Array;
  if (rule.importance !== null) {
    const importance = importanceWeights(rows, rule.importance, settings.threshold, settings.batchNormalize);
    weights = Float32Array.from(importance.weights);
    metrics.importance = importance.metrics;
  } else {
    weights = Float32Array.from(keep);
  }
  if (rule.rejection !== null) {
    const { rejectionThreshold, rejectionThresholdLower } = settings;
    metrics.rejection = rejectTokens(rows, rule.rejection, rejectionThreshold, rejectionThresholdLower, keep);
  }
  if (settings.vetoThreshold !== null) metrics.veto = vetoRows(rows, settings.vetoThreshold, keep);
  return { weights, mask: keep, metrics };
}

function logRatioRows(options: RolloutCorrectionOptions): LogRatioRows {
  const { logprobs, rolloutLogprobs, mask, responseLength } = options;
  const batch = rowCount('logprobs', logprobs, responseLength);
  const size = batch * responseLength;
  expectLength('rolloutLogprobs', rolloutLogprobs, size, '[batch, responseLength]');
  expectLength('mask', mask, size, '[batch, responseLength]');
  const logRatio = new Float64Array(size);
  const rowSums = new Float64Array(batch);
  const rowCounts = new Float64Array(batch);
  let totalCount = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    let sum = 0;
    let count = 0;
    for (let index = offset; index < offset + responseLength; index++) {
      const r = logprobs[index]! - rolloutLogprobs[index]!;
      logRatio[index] = r;
      const m = mask[index]!;
      if (m === 0) continue;
      sum += r * m;
      count += m;
    }
    rowSums[row] = sum;
    rowCounts[row] = count;
    totalCount += count;
  }
  if (!(totalCount > 0)) {
    throw new InvalidInputError('selects no token (the correction needs at least one)', { field: 'mask' });
  }
  return { batch, responseLength, mask, logRatio, rowSums, rowCounts, totalCount };
}

/** Truncated importance weights (verl `compute_rollout_correction_weights`); metrics before truncation. */
function importanceWeights(
  rows: LogRatioRows,
  level: ImportanceLevel,
  threshold: number,
  batchNormalize: boolean,
): { weights: Float64Array; metrics: ImportanceMetrics } {
  const { batch, responseLength, mask, logRatio, rowSums } = rows;
  const weights = new Float64Array(batch * responseLength);
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = level === 'sequence' ? boundedExp(rowSums[row]!) : 0;
    for (let index = offset; index < offset + responseLength; index++) {
      const m = mask[index]!;
      if (m !== 0) weights[index] = (level === 'token' ? boundedExp(logRatio[index]!) : rowWeight) * m;
    }
  }
  const rowLogWeights = level === 'sequence' ? rowSums : null;
  const metrics: ImportanceMetrics = weightStatistics({
    weights,
    rows,
    rowLogWeights,
    upper: threshold,
    lower: 1 / threshold,
  });
  for (let index = 0; index < weights.length; index++) weights[index] = Math.min(weights[index]!, threshold);
  if (batchNormalize) {
    const factor = batchMean(weights, rows, level);
    if (factor > 1e-8) for (let index = 0; index < weights.length; index++) weights[index]! /= factor;
    metrics.batchNormFactor = factor > 1e-8 ? factor : 1;
  }
  return { weights, metrics };
}

/** The divisor of batch normalisation: the masked token mean, or the mean over non-empty rows of the row means. */
function batchMean(weights: Float64Array, rows: LogRatioRows, level: ImportanceLevel): number {
  if (level === 'token') {
    let sum = 0;
    for (let index = 0; index < weights.length; index++) sum += weights[index]! * rows.mask[index]!;
    return sum / rows.totalCount;
  }
  const means = rowMeans(weights, rows);
  let sum = 0;
  let nonEmpty = 0;
  for (let row = 0; row < rows.batch; row++) {
    if (rows.rowCounts[row]! > 0) {
      sum += means[row]!;
      nonEmpty++;
    }
  }
  return sum / Math.max(nonEmpty, 1e-8);
}

/** Clears `keep` where the rejection weight is outside `[lower, upper]` (verl `compute_rollout_rejection_mask`). */
function rejectTokens(
  rows: LogRatioRows,
  level: RejectionLevel,
  upper: number,
  lower: number,
  keep: Uint8Array,
): RejectionMetrics {
  const { batch, responseLength, mask, logRatio, rowSums, rowCounts, totalCount } = rows;
  const rowLogWeights =
    level === 'token'
      ? null
      : level === 'sequence'
        ? rowSums
        : rowSums.map((sum, row) => (rowCounts[row]! > 0 ? sum / rowCounts[row]! : 0));
  const weights = new Float64Array(batch * responseLength);
  let rejectedTokens = 0;
  let rejectedRows = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowLogWeights === null ? 0 : boundedExp(rowLogWeights[row]!);
    const rowAccepted = rowWeight >= lower && rowWeight <= upper;
    let rowLost = rowLogWeights !== null && !rowAccepted;
    for (let index = offset; index < offset + responseLength; index++) {
      const m = mask[index]!;
      if (m === 0) continue;
      const w = rowLogWeights === null ? boundedExp(logRatio[index]!) : rowWeight;
      weights[index] = w;
      if (w >= lower && w <= upper) continue;
      keep[index] = 0;
      rejectedTokens += m;
      rowLost = true;
    }
    if (rowLost) rejectedRows++;
  }
  return {
    ...weightStatistics({ weights, rows, rowLogWeights, upper, lower }),
    maskedFraction: rejectedTokens / totalCount,
    sequenceMaskedFraction: rejectedRows / batch,
  };
}

/** Clears the rows of `keep` that hold a token with `r < log(threshold)` (verl's per-token veto). */
function vetoRows(rows: LogRatioRows, threshold: number, keep: Uint8Array): VetoMetrics {
  const { batch, responseLength, mask, logRatio, totalCount } = rows;
  const logThreshold = Math.log(threshold);
  let vetoed = 0;
  let catastrophic = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    let hit = false;
    for (let index = offset; index < offset + responseLength; index++) {
      const m = mask[index]!;
      if (m !== 0 && logRatio[index]! < logThreshold) {
        hit = true;
        catastrophic += m;
      }
    }
    if (hit) {
      vetoed++;
      keep.fill(0, offset, offset + responseLength);
    }
  }
  return { fraction: vetoed / batch, catastrophicTokenFraction: catastrophic / totalCount };
}
