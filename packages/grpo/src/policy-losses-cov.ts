import {
  advantageAt,
  clippedSurrogate,
  maskedMean,
  surrogateClipped,
  surrogateSlope,
  surrogateValue,
  tokenWeightAt,
  type PolicyLossKernelInput,
  type PolicyLossKernelResult,
} from './policy-losses-kernel';

/*
 * Clip-Cov and KL-Cov (Cui et al. 2025, "The Entropy Mechanism of Reinforcement Learning for Reasoning Language
 * Models", arXiv:2505.22617 §5), as verl's `compute_policy_loss_clip_cov` and `compute_policy_loss_kl_cov`. Both
 * score each token in the loss by the centred product `cov_t = (A_t − Ā)·(logprob_t − l̄)` and treat a few
 * tokens apart; neither clamps the log ratio before `exp`. Token weights (`tokenWeights`) multiply each token's
 * whole term (kl-cov: the penalty included), value and gradient, after the selection, which ignores them (verl:
 * `pg_losses * rollout_is_weights` before `agg_loss`); so do the metrics.
 */

const pair = new Float64Array(3);

/**
 * Clip-Cov: the clipped surrogate `max(−A·r, −A·clamp(r, 1 − clipLow, 1 + clipHigh))`, `r = exp(logprob − old)`,
 * with the gradient cut (value and gradient × 0) on `max(1, ⌊clipCovRatio·Σ M⌋)` tokens drawn among those with
 * `clipCovLower < cov_t < clipCovUpper` that the ratio clip has not already flattened (`L2 > L1`). The centres
 * are the masked means `Ā = Σ A·M / Σ M`, `l̄ = Σ logprob·M / Σ M`.
 *
 * verl draws them with `torch.randperm` (unseeded); here the draw is deterministic: the candidates in row-major
 * order, a partial Fisher–Yates shuffle driven by mulberry32 seeded with `clipCovSeed`, the first ones taken.
 * The same inputs and seed give the same tokens; a trainer can pass the step as the seed.
 *
 * Metrics: `pgClipFrac` = masked mean of the cut tokens (verl: `corr == 0`), not of the ratio clip;
 * `pgClipFracLower` = 0; `ppoKl` = masked mean of `−(logprob − old)`; `selectedTokenCount` = tokens cut.
 */
export function clipCovKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowWeights, settings, gradient } = input;
  const low = 1 - settings.clipLow;
  const high = 1 + settings.clipHigh;
  const size = batch * responseLength;
  let maskSum = 0;
  let advantageSum = 0;
  let logprobSum = 0;
  let negativeLogRatioSum = 0;
  const flattened = new Uint8Array(size); // the ratio clip won (verl `clip_by_origin`)
  forEachToken(input, (row, index, m) => {
    const logRatio = logprobs[index]! - oldLogprobs[index]!;
    clippedSurrogate(advantageAt(input, row, index), Math.exp(logRatio), low, high, pair);
    flattened[index] = pair[surrogateClipped]!;
    maskSum += m;
    advantageSum += advantageAt(input, row, index) * m;
    logprobSum += logprobs[index]! * m;
    negativeLogRatioSum -= logRatio * m;
  });
  const advantageCentre = maskedMean(advantageSum, maskSum);
  const logprobCentre = maskedMean(logprobSum, maskSum);
  const candidates: number[] = [];
  forEachToken(input, (row, index, m) => {
    if (!(m > 0) || flattened[index] === 1) return;
    const cov = (advantageAt(input, row, index) - advantageCentre) * (logprobs[index]! - logprobCentre);
    if (cov > settings.clipCovLower && cov < settings.clipCovUpper) candidates.push(index);
  });
  const wanted = Math.max(Math.trunc(settings.clipCovRatio * maskSum), 1);
  const cut = new Uint8Array(size);
  const chosen = drawWithoutReplacement(candidates, Math.min(wanted, candidates.length), settings.clipCovSeed);
  for (const index of chosen) cut[index] = 1;

  let pgLoss = 0;
  let cutSum = 0;
  forEachToken(input, (row, index, m) => {
    if (cut[index] === 1) {
      cutSum += m;
      return; // value × 0, gradient 0
    }
    clippedSurrogate(advantageAt(input, row, index), Math.exp(logprobs[index]! - oldLogprobs[index]!), low, high, pair);
    const weight = rowWeights[row]! * m * tokenWeightAt(input, index);
    pgLoss += weight * pair[surrogateValue]!;
    gradient[index] = weight * pair[surrogateSlope]! * Math.exp(logprobs[index]! - oldLogprobs[index]!);
  });
  return {
    pgLoss,
    pgClipFrac: maskedMean(cutSum, maskSum),
    pgClipFracLower: 0,
    ppoKl: maskedMean(negativeLogRatioSum, maskSum),
    selectedTokenCount: chosen.length,
  };
}

/**
 * KL-Cov: the unclipped surrogate `−A·r`, `r = exp(logprob − old)`, plus `klCovCoefficient·|logprob − old|` on the
 * `max(1, ⌊klCovRatio·n⌋)` tokens of largest `cov_t` among the `n` tokens with `M > 0`. The centres are plain means
 * over those tokens (verl: `.mean()` of the selected values, not mask-weighted). verl ranks with `torch.topk`, whose
 * order among equal values is unspecified; here ties go to the lower row-major index, so the choice is
 * deterministic. Gradient: `−A·r`, plus `klCovCoefficient·sign(logprob − old)` on the chosen tokens (0 at a log
 * ratio of 0, as autograd's `abs`).
 *
 * Metrics: `pgClipFrac` = `pgClipFracLower` = 0; `ppoKl` = masked mean of `|logprob − old|` (verl reports the
 * absolute value here); `selectedTokenCount` = tokens penalised.
 */
export function klCovKernel(input: PolicyLossKernelInput): PolicyLossKernelResult {
  const { logprobs, oldLogprobs, mask, batch, responseLength, rowWeights, settings, gradient } = input;
  const valid: number[] = [];
  let advantageSum = 0;
  let logprobSum = 0;
  let maskSum = 0;
  let absoluteLogRatioSum = 0;
  forEachToken(input, (row, index, m) => {
    maskSum += m;
    absoluteLogRatioSum += Math.abs(logprobs[index]! - oldLogprobs[index]!) * m;
    if (!(m > 0)) return;
    valid.push(index);
    advantageSum += advantageAt(input, row, index);
    logprobSum += logprobs[index]!;
  });
  const penalised = new Uint8Array(batch * responseLength);
  let penalisedCount = 0;
  if (valid.length > 0) {
    const advantageCentre = advantageSum / valid.length;
    const logprobCentre = logprobSum / valid.length;
    const covariances = Float64Array.from(
      valid,
      (index) =>
        (advantageAt(input, Math.floor(index / responseLength), index) - advantageCentre) *
        (logprobs[index]! - logprobCentre),
    );
    const wanted = Math.max(1, Math.trunc(valid.length * settings.klCovRatio));
    for (const position of largestFirst(covariances, Math.min(wanted, valid.length))) {
      penalised[valid[position]!] = 1;
      penalisedCount++;
    }
  }
  let pgLoss = 0;
  const coefficient = settings.klCovCoefficient;
  forEachToken(input, (row, index, m) => {
    const logRatio = logprobs[index]! - oldLogprobs[index]!;
    const ratio = Math.exp(logRatio);
    const advantage = advantageAt(input, row, index);
    let value = -advantage * ratio;
    let slope = -advantage * ratio;
    if (penalised[index] === 1) {
      value += coefficient * Math.abs(logRatio);
      slope += coefficient * (logRatio > 0 ? 1 : logRatio < 0 ? -1 : 0);
    }
    const weight = rowWeights[row]! * m * tokenWeightAt(input, index);
    pgLoss += weight * value;
    gradient[index] = weight * slope;
  });
  return {
    pgLoss,
    pgClipFrac: 0,
    pgClipFracLower: 0,
    ppoKl: maskedMean(absoluteLogRatioSum, maskSum),
    selectedTokenCount: penalisedCount,
  };
}

/** Calls `visit(row, index, m)` for every token with `m ≠ 0`, in row-major order. */
function forEachToken(input: PolicyLossKernelInput, visit: (row: number, index: number, m: number) => void): void {
  const { mask, batch, responseLength } = input;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    for (let t = 0; t < responseLength; t++) {
      const m = mask[offset + t]!;
      if (m !== 0) visit(row, offset + t, m);
    }
  }
}

/**
 * The positions of the `count` largest values, ties to the lower position: the values above the `count`-th
 * largest, then the ones equal to it in order.
 */
function largestFirst(values: Float64Array, count: number): number[] {
  if (count === 0) return [];
  const threshold = values.slice().sort()[values.length - count]!;
  const positions: number[] = [];
  values.forEach((value, position) => {
    if (value > threshold) positions.push(position);
  });
  for (let position = 0; position < values.length && positions.length < count; position++) {
    if (values[position] === threshold) positions.push(position);
  }
  return positions;
}

/** The first `count` items of a partial Fisher–Yates shuffle of `items` driven by mulberry32(`seed`). */
export function drawWithoutReplacement(items: readonly number[], count: number, seed: number): number[] {
  const pool = items.slice();
  const random = mulberry32(seed);
  for (let j = 0; j < count; j++) {
    const pick = j + Math.floor(random() * (pool.length - j));
    const held = pool[j]!;
    pool[j] = pool[pick]!;
    pool[pick] = held;
  }
  return pool.slice(0, count);
}

/** mulberry32: a 32-bit generator of uniform floats in [0, 1) (the one `tools/policy-loss-values.py` mirrors). */
function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
