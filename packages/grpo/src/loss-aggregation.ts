import { InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, rowMaskSums, type MaskArray, type RealArray } from './batch-shape';

/**
 * How a `[batch, responseLength]` matrix of per-token losses `L` becomes one scalar, with mask `M`.
 * Every mode is linear: `loss = Σ_i w_i Σ_t M[i,t]·L[i,t]` with a per-sequence weight `w_i`, so the
 * gradient w.r.t. `L[i,t]` is `w_i·M[i,t]`.
 *
 * verl (`agg_loss`): `n_i = Σ_t M[i,t]`, `N = Σ n_i`, `S` = number of sequences with `n_i > 0`.
 * - `token-mean`: `Σ L·M / (globalTokenCount ?? N) × dataParallelSize`; 0 when the count is 0.
 * - `seq-mean-token-sum`: `Σ_i Σ_t L·M / (globalBatchSize ?? S) × dataParallelSize`.
 * - `seq-mean-token-mean`: `Σ_{i: n_i>0} (Σ_t L·M / (n_i + 1e-8)) / (globalBatchSize ?? S) × dataParallelSize`.
 * - `seq-mean-token-sum-norm`: `Σ L·M / lossScaleFactor`, default `lossScaleFactor = responseLength`.
 *
 * TRL (`GRPOTrainer` `loss_type`), `B` = number of sequences:
 * - `trl-grpo`: `mean_i (Σ_t L·M / max(1, n_i))` over all `B` sequences.
 * - `trl-bnpo`: `Σ L·M / max(1, N)` over the local batch.
 * - `trl-dr-grpo`: `Σ L·M / (B · maxCompletionLength)`.
 * - `trl-dapo`: `Σ L·M / (globalTokenCount / processCount)`, the accumulated token count of all processes.
 */
export type LossAggregation =
  | { mode: 'token-mean'; globalTokenCount?: number; dataParallelSize?: number }
  | { mode: 'seq-mean-token-sum'; globalBatchSize?: number; dataParallelSize?: number }
  | { mode: 'seq-mean-token-mean'; globalBatchSize?: number; dataParallelSize?: number }
  | { mode: 'seq-mean-token-sum-norm'; lossScaleFactor?: number }
  | { mode: 'trl-grpo' }
  | { mode: 'trl-bnpo' }
  | { mode: 'trl-dr-grpo'; maxCompletionLength: number }
  | { mode: 'trl-dapo'; globalTokenCount: number; processCount?: number };

export type AggregationMode = LossAggregation['mode'];

/** What a mode's weight function sees. */
export interface AggregationContext {
  /** `[batch]` Σ_t M[i,t]. */
  rowMaskSums: Float64Array;
  responseLength: number;
}

export interface AggregationRule<Mode extends AggregationMode> {
  readonly formula: string;
  readonly source: string;
  /** Options the mode cannot run without (a config that names only the mode cannot select it). */
  readonly requires: readonly string[];
  /** `[batch]` the weight `w_i` of every token of sequence `i` (before the mask). */
  rowWeights(context: AggregationContext, options: Extract<LossAggregation, { mode: Mode }>): Float64Array;
}

function nonEmptyRows(sums: Float64Array): number {
  let count = 0;
  for (const sum of sums) if (sum > 0) count++;
  return count;
}

function totalOf(sums: Float64Array): number {
  let total = 0;
  for (const sum of sums) total += sum;
  return total;
}

function dataParallelSizeOf(options: { dataParallelSize?: number }): number {
  const size = options.dataParallelSize ?? 1;
  expectNumber(
    'aggregation.dataParallelSize',
    size,
    (value) => Number.isInteger(value) && value >= 1,
    'must be an integer ≥ 1',
  );
  return size;
}

function optionalPositive(path: string, value: number | undefined): number | undefined {
  if (value !== undefined) expectNumber(path, value, (v) => v > 0 && Number.isFinite(v), 'must be a finite number > 0');
  return value;
}

/** The same weight for every sequence (0 when the denominator is 0, as verl returns `loss * 0`). */
function uniform(batch: number, numerator: number, denominator: number): Float64Array {
  return new Float64Array(batch).fill(denominator === 0 ? 0 : numerator / denominator);
}

/** The aggregation modes; the mapped type makes the compiler demand one entry per {@link AggregationMode}. */
export const aggregationModes: { readonly [Mode in AggregationMode]: AggregationRule<Mode> } = {
  'token-mean': {
    formula: 'Σ L·M / N_tok × dp',
    source: 'verl agg_loss (the default; ReSearch)',
    requires: [],
    rowWeights({ rowMaskSums: sums }, options) {
      const tokens = optionalPositive('aggregation.globalTokenCount', options.globalTokenCount) ?? totalOf(sums);
      return uniform(sums.length, dataParallelSizeOf(options), tokens);
    },
  },
  'seq-mean-token-sum': {
    formula: 'Σ_i Σ_t L·M / S × dp',
    source: 'verl agg_loss',
    requires: [],
    rowWeights({ rowMaskSums: sums }, options) {
      const sequences = optionalPositive('aggregation.globalBatchSize', options.globalBatchSize) ?? nonEmptyRows(sums);
      return uniform(sums.length, dataParallelSizeOf(options), sequences);
    },
  },
  'seq-mean-token-mean': {
    formula: 'Σ_i (Σ_t L·M / (n_i + 1e-8)) / S × dp',
    source: 'verl agg_loss (the GRPO paper form)',
    requires: [],
    rowWeights({ rowMaskSums: sums }, options) {
      const sequences = optionalPositive('aggregation.globalBatchSize', options.globalBatchSize) ?? nonEmptyRows(sums);
      const scale = sequences === 0 ? 0 : dataParallelSizeOf(options) / sequences;
      return sums.map((sum) => (sum > 0 ? scale / (sum + 1e-8) : 0));
    },
  },
  'seq-mean-token-sum-norm': {
    formula: 'Σ L·M / lossScaleFactor (default responseLength)',
    source: 'verl agg_loss (Dr.GRPO constant normaliser)',
    requires: [],
    rowWeights({ rowMaskSums: sums, responseLength }, options) {
      const factor = optionalPositive('aggregation.lossScaleFactor', options.lossScaleFactor) ?? responseLength;
      return uniform(sums.length, 1, factor);
    },
  },
  'trl-grpo': {
    formula: 'mean_i (Σ_t L·M / max(1, n_i))',
    source: "TRL GRPOTrainer loss_type='grpo'",
    requires: [],
    rowWeights({ rowMaskSums: sums }) {
      return sums.map((sum) => 1 / (sums.length * Math.max(1, sum)));
    },
  },
  'trl-bnpo': {
    formula: 'Σ L·M / max(1, N)',
    source: "TRL GRPOTrainer loss_type='bnpo'",
    requires: [],
    rowWeights({ rowMaskSums: sums }) {
      return uniform(sums.length, 1, Math.max(1, totalOf(sums)));
    },
  },
  'trl-dr-grpo': {
    formula: 'Σ L·M / (B · maxCompletionLength)',
    source: "TRL GRPOTrainer loss_type='dr_grpo'",
    requires: ['maxCompletionLength'],
    rowWeights({ rowMaskSums: sums }, options) {
      expectNumber(
        'aggregation.maxCompletionLength',
        options.maxCompletionLength,
        (value) => Number.isInteger(value) && value >= 1,
        'must be an integer ≥ 1',
      );
      return uniform(sums.length, 1, sums.length * options.maxCompletionLength);
    },
  },
  'trl-dapo': {
    formula: 'Σ L·M / (globalTokenCount / processCount)',
    source: "TRL GRPOTrainer loss_type='dapo' (its default)",
    requires: ['globalTokenCount'],
    rowWeights({ rowMaskSums: sums }, options) {
      expectNumber(
        'aggregation.globalTokenCount',
        options.globalTokenCount,
        (value) => value > 0 && Number.isFinite(value),
        'must be a finite number > 0',
      );
      const processes = options.processCount ?? 1;
      expectNumber(
        'aggregation.processCount',
        processes,
        (value) => Number.isInteger(value) && value >= 1,
        'must be an integer ≥ 1',
      );
      return uniform(sums.length, processes, options.globalTokenCount);
    },
  },
};

/**
 * The per-sequence weights `w_i` of an aggregation: `d loss / d L[i,t] = w_i · M[i,t]`.
 *
 * @param mask `[batch, responseLength]`
 * @returns `rowWeights` `[batch]` and `rowMaskSums` `[batch]`
 */
export function computeAggregationWeights(
  mask: MaskArray,
  responseLength: number,
  aggregation: LossAggregation,
): { rowWeights: Float64Array; rowMaskSums: Float64Array } {
  const sums = rowMaskSums(mask, responseLength);
  const rule = aggregationModes[aggregation.mode] as AggregationRule<AggregationMode> | undefined;
  if (rule === undefined) {
    throw new InvalidInputError(
      `unknown aggregation mode "${String(aggregation.mode)}" (expected one of ${Object.keys(aggregationModes).join(', ')})`,
      { field: 'aggregation.mode' },
    );
  }
  return { rowWeights: rule.rowWeights({ rowMaskSums: sums, responseLength }, aggregation), rowMaskSums: sums };
}

/**
 * Aggregates a per-token loss matrix into a scalar (float64). Masked-out tokens are skipped, so a
 * NaN there does not reach the result.
 *
 * @param values `[batch, responseLength]` per-token losses
 * @param mask `[batch, responseLength]`
 */
export function aggregateLoss(
  values: RealArray,
  mask: MaskArray,
  responseLength: number,
  aggregation: LossAggregation,
): number {
  const batch = rowCount('values', values, responseLength);
  expectLength('mask', mask, batch * responseLength, '[batch, responseLength]');
  const { rowWeights } = computeAggregationWeights(mask, responseLength, aggregation);
  let total = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const weight = rowWeights[row]!;
    if (weight === 0) continue;
    let sum = 0;
    for (let t = 0; t < responseLength; t++) {
      const m = mask[offset + t]!;
      if (m !== 0) sum += values[offset + t]! * m;
    }
    total += weight * sum;
  }
  return total;
}
