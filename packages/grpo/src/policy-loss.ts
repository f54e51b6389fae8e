import { computeActorLoss, type ActorLossMetrics, type PolicyLossSettings } from './actor-loss';
import type { MaskArray, RealArray } from './batch-shape';
import type { LossAggregation } from './loss-aggregation';

export interface PolicyLossOptions extends PolicyLossSettings {
  /** `[batch, responseLength]` log π_θ of each sampled token. */
  logprobs: RealArray;
  /** `[batch, responseLength]` log π_old of each sampled token. */
  oldLogprobs: RealArray;
  /** `[batch]` per-sequence or `[batch, responseLength]` per-token advantages. */
  advantages: RealArray;
  /** `[batch, responseLength]` the loss mask. */
  mask: MaskArray;
  responseLength: number;
  /**
   * `[batch, responseLength]` the rollout correction's importance weights: each token's policy-loss term (geo-mean:
   * each sequence's, by the geometric mean of its row) is multiplied by its weight, a constant, before the
   * aggregation. Finite and ≥ 0 where the mask is ≠ 0. See `ActorLossBatch.tokenWeights`.
   */
  tokenWeights?: RealArray;
  /** Default `{ mode: 'token-mean' }` (gspo, sapo: `seq-mean-token-mean`, which they always use). */
  aggregation?: LossAggregation;
  /** A preallocated `[batch, responseLength]` output, overwritten in full. */
  out?: { gradLogprobs?: Float32Array };
}

export type PolicyLossMetrics = Omit<ActorLossMetrics, 'klLoss' | 'entropy'>;

/**
 * The policy loss alone, without the KL and entropy terms: by default the clipped surrogate (verl
 * `compute_policy_loss_vanilla` + `agg_loss`), or the loss named by `policyLoss` (see `policyLosses`). See
 * {@link computeActorLoss} for the formulas and the gradient conventions.
 *
 * @returns `loss`, `gradLogprobs` `[batch, responseLength]` (d loss / d logprobs) and the metrics.
 */
export function computePolicyLoss(options: PolicyLossOptions): {
  loss: number;
  gradLogprobs: Float32Array;
  metrics: PolicyLossMetrics;
} {
  const { out, ...rest } = options;
  const result = computeActorLoss({
    ...rest,
    klCoefficient: 0,
    entropyCoefficient: 0,
    ...(out?.gradLogprobs === undefined ? {} : { out: { gradLogprobs: out.gradLogprobs } }),
  });
  return { loss: result.loss, gradLogprobs: result.gradLogprobs, metrics: result.metrics };
}
