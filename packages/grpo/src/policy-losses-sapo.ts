import {
  advantageAt,
  clamp,
  maskedMean,
  tokenWeightAt,
  type PolicyLossKernelInput,
  type PolicyLossKernelResult,
} from './policy-losses-kernel';

/**
 * SAPO (Soft Adaptive Policy Optimization, Gao et al. 2025, arXiv:2511.20347, eqs. 5–6): a smooth gate in
 * place of the hard clip,
 *
 * `L = −A·f(r)`, `f(r) = σ(τ·(r − 1))·4/τ`, `τ = tauPositive` when `A > 0`, else `tauNegative`,
 * `r = exp(clamp(logprob − old, ±logRatioClamp))`,
 *
 * so `f(1) = 2/τ`, `f'(1) = 1` (on-policy it is the plain policy gradient) and the gradient
 * `d L / d logprob = −A·4·σ(1 − σ)·r` fades smoothly away from `r = 1`; 0 where the log-ratio clamp bites.
 * Aggregated seq-mean-token-mean (the paper's `1/G Σ_i 1/|y_i| Σ_t`). Not in the verl read for this package
 * (commit 012be9d9); written from the paper, with verl's conventions for the clamp (±20) and the metrics.
 *
 * Token weights (`tokenWeights`) multiply each token's term, value and gradient, before the aggregation (verl: `pg_losses
 * * rollout_is_weights` before `agg_loss`); the metrics ignore them.
 *
 * Metrics: `pgClipFrac` = `pgClipFracLower` = 0 (nothing is clipped); `ppoKl` = masked mean of
 * `−clamp(logprob − old, ±logRatioClamp)`.
 */
export function sapoKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowWeights, settings, gradient } = input;
  const { logRatioClamp, tauPositive, tauNegative } = settings;
  let pgLoss = 0;
  let negativeLogRatioSum = 0;
  let maskSum = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowWeights[row]!;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) continue;
      const advantage = advantageAt(input, row, index);
      const rawLogRatio = logprobs[index]! - oldLogprobs[index]!;
      const logRatio = clamp(rawLogRatio, -logRatioClamp, logRatioClamp);
      const ratio = Math.exp(logRatio);
      const tau = advantage > 0 ? tauPositive : tauNegative;
      const gate = 1 / (1 + Math.exp(-tau * (ratio - 1)));
      const weight = rowWeight * m * tokenWeightAt(input, index);
      pgLoss += weight * (-advantage * gate * (4 / tau));
      const passes = rawLogRatio >= -logRatioClamp && rawLogRatio <= logRatioClamp;
      gradient[index] = passes ? weight * -advantage * 4 * gate * (1 - gate) * ratio : 0;
      negativeLogRatioSum -= logRatio * m;
      maskSum += m;
    }
  }
  return { pgLoss, pgClipFrac: 0, pgClipFracLower: 0, ppoKl: maskedMean(negativeLogRatioSum, maskSum) };
}
