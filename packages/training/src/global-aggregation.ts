import { policyLosses, type LossAggregation, type PolicyLossName } from '@research-ts/grpo';

/** Counts over the whole batch, before it is split into micro-batches. */
export interface BatchTotals {
  /** Σ of the loss mask over the whole batch. */
  lossTokenCount: number;
  /** Sequences with at least one token in the loss. */
  lossSequenceCount: number;
  /** All sequences, empty ones included. */
  sequenceCount: number;
  /** The longest response of the batch (the `[batch, responseLength]` width of the full batch). */
  maxResponseLength: number;
}

/**
 * The aggregation to apply to each micro-batch so that the micro-batch losses (and their gradients)
 * add up to the loss of the whole batch under `aggregation`: every normaliser that would be counted
 * on the local batch is fixed to its value on the whole batch (verl passes the global token count to
 * `agg_loss`; TRL's `dapo` does the same).
 *
 * - `token-mean` → `globalTokenCount` = the batch's loss tokens (unless given);
 * - `seq-mean-token-sum`, `seq-mean-token-mean` → `globalBatchSize` = the batch's non-empty sequences (unless given);
 * - `seq-mean-token-sum-norm` → `lossScaleFactor` = the longest response (unless given; a micro-batch's
 *   score width includes the prompt, so the default must be fixed here);
 * - `trl-bnpo` → `token-mean` over `max(1, tokens)`; `trl-dr-grpo` → `Σ/(B·maxCompletionLength)` with the
 *   batch's `B`; `trl-grpo` → `seq-mean-token-mean` over all `B` sequences, whose `1/(n_i + 1e-8)` differs
 *   from TRL's `1/max(1, n_i)` by at most 1e-8 relative;
 * - `trl-dapo` is already global (its `globalTokenCount` is given).
 */
export function globalAggregation(aggregation: LossAggregation, totals: BatchTotals): LossAggregation {
  const positive = (value: number) => (value > 0 ? value : undefined);
  switch (aggregation.mode) {
    case 'token-mean':
      return { ...aggregation, globalTokenCount: aggregation.globalTokenCount ?? positive(totals.lossTokenCount) };
    case 'seq-mean-token-sum':
    case 'seq-mean-token-mean':
      return { ...aggregation, globalBatchSize: aggregation.globalBatchSize ?? positive(totals.lossSequenceCount) };
    case 'seq-mean-token-sum-norm':
      return { ...aggregation, lossScaleFactor: aggregation.lossScaleFactor ?? Math.max(1, totals.maxResponseLength) };
    case 'trl-bnpo':
      return { mode: 'token-mean', globalTokenCount: Math.max(1, totals.lossTokenCount) };
    case 'trl-dr-grpo':
      return {
        mode: 'seq-mean-token-sum-norm',
        lossScaleFactor: totals.sequenceCount * aggregation.maxCompletionLength,
      };
    case 'trl-grpo':
      return { mode: 'seq-mean-token-mean', globalBatchSize: positive(totals.sequenceCount) };
    case 'trl-dapo':
      return aggregation;
  }
}

/**
 * The aggregation to hand `computeActorLoss` for `policyLoss`: {@link globalAggregation}, and for a loss that
 * aggregates its surrogate per sequence whatever `aggregation` says (`policyLosses[name].aggregation`: gspo and
 * sapo `seq-mean-token-mean`, geo-mean `sequence-mean`), the batch's sequence count as `globalBatchSize` when
 * the mode carries none (grpo's `policyLossRowWeights` reads it from any mode): the sequences with a loss token
 * for `seq-mean-token-mean`, every sequence for `sequence-mean` (a micro-batch's own row count otherwise). So the
 * surrogate's normaliser, too, is the whole batch's, and the micro-batch losses add up to the batch's.
 */
export function globalLossAggregation(
  aggregation: LossAggregation,
  totals: BatchTotals,
  policyLoss: PolicyLossName,
): LossAggregation {
  const global = globalAggregation(aggregation, totals);
  const perSequence = policyLosses[policyLoss].aggregation;
  if (perSequence === 'option' || 'globalBatchSize' in global) return global;
  const sequences = perSequence === 'sequence-mean' ? totals.sequenceCount : totals.lossSequenceCount;
  if (!(sequences > 0)) return global;
  return { ...global, globalBatchSize: sequences } as LossAggregation;
}
