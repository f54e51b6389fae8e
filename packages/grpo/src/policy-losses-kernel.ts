import type { MaskArray, RealArray } from './batch-shape';

/** Every knob a policy-loss kernel may read, resolved (option, else the loss's default, else the package's). */
export interface ResolvedPolicyLossSettings {
  clipLow: number;
  clipHigh: number;
  logRatioClamp: number;
  tauPositive: number;
  tauNegative: number;
  clipCovRatio: number;
  clipCovLower: number;
  clipCovUpper: number;
  clipCovSeed: number;
  klCovRatio: number;
  klCovCoefficient: number;
}

/** What a policy-loss kernel reads. All `[batch, responseLength]` arrays are row-major. */
export interface PolicyLossKernelInput {
  /** `[batch, responseLength]` log π_θ. */
  logprobs: RealArray;
  /** `[batch, responseLength]` log π_old. */
  oldLogprobs: RealArray;
  /** `[batch]` (when `perTokenAdvantages` is false) or `[batch, responseLength]`. */
  advantages: RealArray;
  perTokenAdvantages: boolean;
  /** `[batch, responseLength]`; tokens with mask 0 are never read. */
  mask: MaskArray;
  batch: number;
  responseLength: number;
  /** `[batch]` Σ_t M[i,t]. */
  rowMaskSums: Float64Array;
  /**
   * `[batch]` the weight `w_i` of the surrogate: `d loss / d L[i,t] = w_i·M[i,t]` for the token-level losses, and
   * the weight of the sequence loss for `geo-mean` (`dp / sequences`).
   */
  rowWeights: Float64Array;
  /**
   * `[batch, responseLength]` constant factors of each token's surrogate (the rollout correction's importance
   * weights), read only where the mask is ≠ 0 and already checked finite and ≥ 0 there; `null`: every factor 1.
   * The token-level losses multiply each token's term, value and gradient, by its factor (see
   * {@link tokenWeightAt}); `geo-mean` multiplies each sequence's loss by the geometric mean of its row's factors.
   */
  tokenWeights: RealArray | null;
  settings: ResolvedPolicyLossSettings;
  /** Out, `[batch, responseLength]`, all 0 on entry: d loss / d logprob of the surrogate, weights included. */
  gradient: Float64Array;
}

/** The aggregated surrogate and verl's metrics for it. */
export interface PolicyLossKernelResult {
  pgLoss: number;
  /** verl `pg_clipfrac` (what it counts depends on the loss). */
  pgClipFrac: number;
  /** verl `pg_clipfrac_lower`. */
  pgClipFracLower: number;
  /** verl `ppo_kl`. */
  ppoKl: number;
  /** clip-cov: tokens whose gradient was cut; kl-cov: tokens given the |log ratio| penalty. */
  selectedTokenCount?: number;
}

export type PolicyLossKernel = (input: PolicyLossKernelInput) => PolicyLossKernelResult;

export function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** `Σ v·M / Σ M` from the two sums; 0 for an empty mask. */
export function maskedMean(sum: number, maskSum: number): number {
  return maskSum === 0 ? 0 : sum / maskSum;
}

/** The advantage of token `index` of row `row`. */
export function advantageAt(input: PolicyLossKernelInput, row: number, index: number): number {
  return input.perTokenAdvantages ? input.advantages[index]! : input.advantages[row]!;
}

/** The factor of token `index`'s surrogate: its token weight, 1 without weights (so a product with it is exact). */
export function tokenWeightAt(input: PolicyLossKernelInput, index: number): number {
  return input.tokenWeights === null ? 1 : input.tokenWeights[index]!;
}

/**
 * The result of a token-level loss from its sums over the tokens in the loss: `pgClipFrac = Σ clipped / Σ M`,
 * `ppoKl = −Σ logRatio·M / Σ M`, no `pgClipFracLower`.
 */
export function tokenLossResult(
  pgLoss: number,
  clippedSum: number,
  negativeLogRatioSum: number,
  maskSum: number,
): PolicyLossKernelResult {
  return {
    pgLoss,
    pgClipFrac: maskedMean(clippedSum, maskSum),
    pgClipFracLower: 0,
    ppoKl: maskedMean(negativeLogRatioSum, maskSum),
  };
}

/** Slots of {@link clippedSurrogate}'s output (a `Float64Array(3)`). */
export const surrogateValue = 0;
export const surrogateSlope = 1;
export const surrogateClipped = 2;

/**
 * The PPO clipped term of one token, `max(−A·r, −A·clamp(r, low, high))`, and its slope in `r` as autograd
 * gives it: a tie sends half to each side and the clamp passes its half only on `[low, high]`. Writes
 * `out[surrogateValue]`, `out[surrogateSlope]` (d value / d r) and `out[surrogateClipped]` (1 when the clipped
 * term is strictly larger, verl's `pg_losses2 > pg_losses1`).
 */
export function clippedSurrogate(advantage: number, ratio: number, low: number, high: number, out: Float64Array): void {
  const unclipped = -advantage * ratio;
  const clipped = -advantage * clamp(ratio, low, high);
  if (unclipped > clipped) {
    out[surrogateValue] = unclipped;
    out[surrogateSlope] = -advantage;
    out[surrogateClipped] = 0;
  } else if (unclipped < clipped) {
    out[surrogateValue] = clipped;
    out[surrogateSlope] = 0;
    out[surrogateClipped] = 1;
  } else {
    out[surrogateValue] = unclipped;
    out[surrogateSlope] = ratio >= low && ratio <= high ? -advantage : -0.5 * advantage;
    out[surrogateClipped] = 0;
  }
}
