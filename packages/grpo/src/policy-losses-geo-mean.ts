import {
  advantageAt,
  clamp,
  maskedMean,
  type PolicyLossKernelInput,
  type PolicyLossKernelResult,
} from './policy-losses-kernel';

/** verl's `1e-8` in the sequence means of GMPO. */
const lengthEpsilon = 1e-8;

/** The floor of a token weight inside the log of the sequence weight (verl adds `1e-10` instead; see below). */
const sequenceWeightFloor = 1e-10;

/**
 * GMPO (Geometric-Mean Policy Optimization, Zhao et al. 2025, arXiv:2507.20673), as verl's
 * `compute_policy_loss_geo_mean`: one loss per sequence, the geometric mean of token ratios clipped in log space
 * on the side the advantage's sign makes harmful,
 *
 * `x = logprob − old` (no ±20 clamp), `x̃ = sign(A)·min(sign(A)·x, sign(A)·clamp(x, −clipLow, clipHigh))`,
 * `R_i = exp(Σ_t x̃·M / (n_i + 1e-8))`, `Â_i = Σ_t A·M / (n_i + 1e-8)`, `L_i = −Â_i·R_i`,
 *
 * and the loss is `Σ_i w_i·L_i` with `w_i` = `rowWeights` (verl: `torch.mean` over the rows, empty rows
 * included, so `1/batch`). So for `A > 0` a log ratio above `clipHigh` is held at `clipHigh`, for `A < 0` one
 * below `−clipLow` at `−clipLow`, and `A = 0` contributes `x̃ = 0`. Gradient (autograd's rules: a tie of the
 * `min` splits, the clamp passes on its closed range): `d L / d logprob_t = −w_i·Â_i·R_i·M_t/(n_i + 1e-8)` where
 * `x̃` follows `x`, 0 where it is held or `A = 0`.
 *
 * Token weights (`tokenWeights`, the rollout correction's): the loss is per sequence, so, as verl's `geo_mean` does
 * with `rollout_is_weights`, each row's loss and gradient are multiplied by the geometric mean of the row's weights,
 * `g_i = exp(Σ_t log(max(w_t, 1e-10))·M_t / (n_i + 1e-8))`, a constant. verl takes `log(w_t + 1e-10)`; the floor
 * gives the same `1e-10` for a weight of 0 and exactly `g_i = 1` for weights of 1 (verl's form gives `1 + 1e-10` there,
 * so weights of 1 would not be the identity); the two logs differ by at most `min(1e-10/w_t, log 2)`, which matters
 * only for weights within a few decades of `1e-10`.
 *
 * Metrics: `pgClipFrac` = masked mean of `x ≠ clamp(x, −clipLow, clipHigh)` and `A > 0`; `pgClipFracLower` the
 * same with `A < 0` (either side of the range counts, as in verl); `ppoKl` = masked mean of `−x`.
 */
export function geoMeanKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowMaskSums, rowWeights, settings, gradient } = input;
  const { tokenWeights } = input;
  const low = -settings.clipLow;
  const high = settings.clipHigh;
  let pgLoss = 0;
  let upperSum = 0;
  let lowerSum = 0;
  let negativeLogRatioSum = 0;
  let maskSum = 0;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const denominator = rowMaskSums[row]! + lengthEpsilon;
    let heldLogRatioSum = 0;
    let advantageSum = 0;
    let logWeightSum = 0;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) continue;
      const advantage = advantageAt(input, row, index);
      const logRatio = logprobs[index]! - oldLogprobs[index]!;
      const clamped = clamp(logRatio, low, high);
      // sign(A)·min(sign(A)·x, sign(A)·x̃): min for A > 0, max for A < 0, 0 for A = 0
      const held = advantage > 0 ? Math.min(logRatio, clamped) : advantage < 0 ? Math.max(logRatio, clamped) : 0;
      heldLogRatioSum += held * m;
      advantageSum += advantage * m;
      if (tokenWeights !== null) logWeightSum += Math.log(Math.max(tokenWeights[index]!, sequenceWeightFloor)) * m;
      if (logRatio !== clamped) {
        if (advantage > 0) upperSum += m;
        else if (advantage < 0) lowerSum += m;
      }
      negativeLogRatioSum -= logRatio * m;
      maskSum += m;
    }
    const ratio = Math.exp(heldLogRatioSum / denominator);
    const meanAdvantage = advantageSum / denominator;
    // the geometric mean of the row's token weights is a constant factor of the sequence loss (1 without weights)
    const rowWeight =
      tokenWeights === null ? rowWeights[row]! : rowWeights[row]! * Math.exp(logWeightSum / denominator);
    pgLoss += rowWeight * (-meanAdvantage * ratio);
    const tokenSlope = (rowWeight * -meanAdvantage * ratio) / denominator;
    for (let t = 0; t < responseLength; t++) {
      const index = offset + t;
      const m = mask[index]!;
      if (m === 0) continue;
      const advantage = advantageAt(input, row, index);
      const logRatio = logprobs[index]! - oldLogprobs[index]!;
      const clamped = clamp(logRatio, low, high);
      // x̃ follows x unless x is past the bound on the harmful side (a tie inside the range passes in full)
      const follows = advantage > 0 ? logRatio <= clamped : advantage < 0 ? logRatio >= clamped : false;
      gradient[index] = follows ? tokenSlope * m : 0;
    }
  }
  return {
    pgLoss,
    pgClipFrac: maskedMean(upperSum, maskSum),
    pgClipFracLower: maskedMean(lowerSum, maskSum),
    ppoKl: maskedMean(negativeLogRatioSum, maskSum),
  };
}
