import {
  advantageAt,
  clamp,
  tokenLossResult,
  tokenWeightAt,
  type PolicyLossKernelInput,
  type PolicyLossKernelResult,
} from './policy-losses-kernel';

/**
 * CISPO (MiniMax-M1, arXiv:2506.13585 §3.1): REINFORCE weighted by a clipped, detached importance ratio,
 *
 * `L = −sg(clamp(r, 1 − clipLow, 1 + clipHigh))·A·logprob`, `r = exp(clamp(logprob − old, ±logRatioClamp))`,
 *
 * so every token keeps a gradient, `d L / d logprob = −clamp(r, …)·A`, however far its ratio is from 1 (the
 * clip bounds the weight, it does not drop the token). Aggregated as the caller's `rowWeights` (the paper uses
 * token-mean). Not in the verl read for this package (commit 012be9d9); written from the paper, with verl's
 * conventions for the clamp (±20) and the metrics.
 *
 * Token weights (`tokenWeights`) multiply each token's term, value and gradient, before the aggregation (verl: `pg_losses
 * * rollout_is_weights` before `agg_loss`); the metrics ignore them.
 *
 * Metrics: `pgClipFrac` = masked mean of `r ≠ clamp(r, …)`; `pgClipFracLower` = 0; `ppoKl` = masked mean of
 * `−clamp(logprob − old, ±logRatioClamp)`.
 */
export function cispoKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowWeights, settings, gradient } = input;
  const low = 1 - settings.clipLow;
  const high = 1 + settings.clipHigh;
  const logRatioClamp = settings.logRatioClamp;
  let pgLoss = 0;
  let clippedSum = 0;
  let negativeLogRatioSum = 0;
  let maskSum = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowWeights[row]!;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) continue;
      const logprob = logprobs[index]!;
      const logRatio = clamp(logprob - oldLogprobs[index]!, -logRatioClamp, logRatioClamp);
      const ratio = Math.exp(logRatio);
      const weightOfToken = clamp(ratio, low, high);
      const slope = -weightOfToken * advantageAt(input, row, index);
      const weight = rowWeight * m * tokenWeightAt(input, index);
      pgLoss += weight * slope * logprob;
      gradient[index] = weight * slope;
      if (ratio !== weightOfToken) clippedSum += m;
      negativeLogRatioSum -= logRatio * m;
      maskSum += m;
    }
  }
  return tokenLossResult(pgLoss, clippedSum, negativeLogRatioSum, maskSum);
}
