import {
  advantageAt,
  clippedSurrogate,
  surrogateClipped,
  surrogateSlope,
  surrogateValue,
  tokenLossResult,
  tokenWeightAt,
  type PolicyLossKernelInput,
  type PolicyLossKernelResult,
} from './policy-losses-kernel';

/** The upper clamp on the sequence log ratio before `exp` (verl: "for numerical stability"). */
const maxSequenceLogRatio = 10;

const pair = new Float64Array(3);

/**
 * GSPO (Zheng et al. 2025, arXiv:2507.18071), as verl's `compute_policy_loss_gspo`: the clipped surrogate
 * over the sequence-level ratio, the geometric mean of the token ratios of the row,
 *
 * `log s_i = Σ_t (logprob − old)·M / max(Σ_t M, 1)`, clamped above at 10 (no lower clamp, no ±20 token clamp),
 *
 * applied to every token with the stop-gradient form `s_i,t = sg(s_i)·π_θ(t)/sg(π_θ(t))`: the value of
 * every token's ratio is `s_i`, and its gradient reaches only its own logprob, `d s_i,t / d logprob_t = s_i`
 * (0 when the clamp at 10 bites). With one advantage per sequence this is the exact gradient of the loss
 * (GSPO); with per-token advantages it is the paper's GSPO-token.
 *
 * Per token `L = max(−A·s, −A·clamp(s, 1 − clipLow, 1 + clipHigh))`, aggregated as the caller's `rowWeights`
 * (seq-mean-token-mean: verl forces that mode for GSPO).
 *
 * Token weights (`tokenWeights`) multiply each token's term, value and gradient, before the aggregation, as verl's
 * `compute_policy_loss_gspo` multiplies `pg_losses` by `rollout_is_weights` (token level, though the ratio is the
 * sequence's). Through the stop-gradient, token `t`'s gradient is its own term's, `w_t` times the unweighted one; it is
 * the derivative of the loss value when the weights are constant over the row (sequence-level weights), and, like
 * GSPO-token, not when they vary within it. The metrics ignore the weights.
 *
 * Metrics: `pgClipFrac` = masked mean of `L2 > L1`; `pgClipFracLower` = 0; `ppoKl` = masked mean of
 * `−(logprob − old)` (token level, unclamped).
 */
export function gspoKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowMaskSums, rowWeights, settings, gradient } = input;
  const low = 1 - settings.clipLow;
  const high = 1 + settings.clipHigh;
  let pgLoss = 0;
  let clippedSum = 0;
  let negativeLogRatioSum = 0;
  let maskSum = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    let logRatioSum = 0;
    for (let t = 0; t < responseLength; t++) {
      const m = mask[offset + t]!;
      if (m !== 0) logRatioSum += (logprobs[offset + t]! - oldLogprobs[offset + t]!) * m;
    }
    const sequenceLogRatio = logRatioSum / Math.max(rowMaskSums[row]!, 1);
    const clampPasses = !(sequenceLogRatio > maxSequenceLogRatio);
    const ratio = Math.exp(clampPasses ? sequenceLogRatio : maxSequenceLogRatio);
    const rowWeight = rowWeights[row]!;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) continue;
      clippedSurrogate(advantageAt(input, row, index), ratio, low, high, pair);
      const weight = rowWeight * m * tokenWeightAt(input, index);
      pgLoss += weight * pair[surrogateValue]!;
      gradient[index] = clampPasses ? weight * pair[surrogateSlope]! * ratio : 0;
      clippedSum += pair[surrogateClipped]! * m;
      negativeLogRatioSum -= (logprobs[index]! - oldLogprobs[index]!) * m;
      maskSum += m;
    }
  }
  return tokenLossResult(pgLoss, clippedSum, negativeLogRatioSum, maskSum);
}
