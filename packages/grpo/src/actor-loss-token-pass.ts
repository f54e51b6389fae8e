import type { ActorLossMetrics, ActorLossResult } from './actor-loss';
import type { MaskArray, RealArray } from './batch-shape';
import { k3ValueAndSlope, type KlKernel } from './kl-estimators';
import { clamp, maskedMean, type PolicyLossKernelResult } from './policy-losses-kernel';

/** A {@link KlKernel} as the per-token loop compares it (a number, not a string). */
export const klKernelCodes = {
  generic: 0,
  k3: 1,
  'k3-straight-through': 2,
  'k3-unclamped': 3,
} as const satisfies Record<KlKernel, number>;

/** What {@link runTokenPass} reads and writes. All `[batch, responseLength]` arrays are row-major. */
export interface TokenPass {
  logprobs: RealArray;
  oldLogprobs: RealArray;
  advantages: RealArray;
  perTokenAdvantages: boolean;
  mask: MaskArray;
  refLogprobs: RealArray | null;
  entropies: RealArray | null;
  /** The fused surrogate's factor per token; `null`: 1 (the KL and entropy terms never read it). */
  tokenWeights: RealArray | null;
  /** `[batch]` the aggregation weight of each row (the KL and entropy terms', and the fused surrogate's). */
  rowWeights: Float64Array;
  batch: number;
  responseLength: number;
  /** `logprob − old` is clamped to `±logRatioClamp` before `exp` (`Infinity`: no clamp). */
  logRatioClamp: number;
  /**
   * `null`: the pass computes the clipped surrogate of vanilla and dapo itself (with `ratioLow`, `ratioHigh`,
   * `dualClip`, `tokenWeights`). Else the surrogate's gradient as a policy-loss kernel wrote it, weights included:
   * the pass adds the KL and entropy terms and the statistics, and leaves `pgLoss`, `clipped` and `clippedLower` 0.
   */
  surrogateGradient: Float64Array | null;
  ratioLow: number;
  ratioHigh: number;
  /** 0 when off. */
  dualClip: number;
  klCoefficient: number;
  entropyCoefficient: number;
  /** One of {@link klKernelCodes}. */
  klKernel: number;
  klValue: (logprob: number, ref: number) => number;
  klGradient: (logprob: number, ref: number) => number;
  gradLogprobs: Float32Array;
  gradEntropies: Float32Array;
}

/**
 * Slots of the sums {@link runTokenPass} returns: the three terms weighted as aggregated (`pgLoss` the fused
 * surrogate's `Σ w·tokenWeight·L`), `Σ m` where its clip won (`L2 > L1`) and where its dual clip bit, and over the
 * tokens in the loss: `Σ m`, `−Σ m·clamp(logprob − old)`, `Σ m·r` and the extremes of `r`, the count of tokens and of
 * those with a non-finite input, and the advantages' extremes and sums shifted by the first one (for a stable std).
 */
export const enum Sum {
  pgLoss,
  klLoss,
  entropyLoss,
  maskSum,
  clipped,
  clippedLower,
  negativeLogRatio,
  ratio,
  ratioMin,
  ratioMax,
  tokenCount,
  nonFiniteTokenCount,
  advantageShift,
  advantageShiftedSum,
  advantageShiftedSquares,
  advantageMin,
  advantageMax,
  length,
}

/** Scratch for {@link k3ValueAndSlope}: value, slope. */
const k3Pair = new Float64Array(2);

/**
 * The per-token loop of `computeActorLoss`, for every policy loss: writes both gradients and returns the {@link Sum}s
 * (the three terms weighted as aggregated, and the statistics over the mask). With `surrogateGradient` null it
 * computes the clipped surrogate of vanilla and dapo itself, fused; else it adds the KL and entropy terms to the
 * gradient a policy-loss kernel wrote.
 *
 * It is longer than a screen on purpose. Its seventeen running sums are locals of the one loop, in registers beside
 * each token's `exp`; measured against this loop (64 × 8192 tokens), a second pass for the statistics cost 30%,
 * sums kept in an array up to 3× (V8 deoptimizes on their rare branches), and the clipped surrogate through
 * `clippedSurrogate`'s scratch array 20%. It is its own function so that V8 keeps its optimized code across calls (a
 * loop inside a function that is called once per step would run from the interpreter until on-stack replacement,
 * every step).
 */
export function runTokenPass(pass: TokenPass): Float64Array {
  const { logprobs, oldLogprobs, advantages, perTokenAdvantages, mask, refLogprobs, entropies, rowWeights } = pass;
  const { batch, responseLength, logRatioClamp, surrogateGradient, ratioLow, ratioHigh, dualClip } = pass;
  const { tokenWeights, klCoefficient, entropyCoefficient, gradLogprobs, gradEntropies } = pass;
  const { klKernel, klValue, klGradient } = pass;
  let pgLoss = 0;
  let klLoss = 0;
  let entropyLoss = 0;
  let maskSum = 0;
  let clipped = 0;
  let clippedLower = 0;
  let negativeLogRatio = 0;
  let ratioSum = 0;
  let ratioMin = Number.POSITIVE_INFINITY;
  let ratioMax = Number.NEGATIVE_INFINITY;
  let tokenCount = 0;
  let nonFiniteTokenCount = 0;
  // advantages are accumulated shifted by the first one in the loss, for a stable std
  let advantageShift = Number.NaN;
  let advantageShiftedSum = 0;
  let advantageShiftedSquares = 0;
  let advantageMin = Number.POSITIVE_INFINITY;
  let advantageMax = Number.NEGATIVE_INFINITY;
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const rowWeight = rowWeights[row]!;
    const rowAdvantage = perTokenAdvantages ? 0 : advantages[row]!;
    for (let index = offset; index < offset + responseLength; index++) {
      const m = mask[index]!;
      if (m === 0) {
        gradLogprobs[index] = 0;
        gradEntropies[index] = 0;
        continue;
      }
      const weight = rowWeight * m;
      const logprob = logprobs[index]!;
      const advantage = perTokenAdvantages ? advantages[index]! : rowAdvantage;
      const logRatio = logprob - oldLogprobs[index]!;
      const clampedLogRatio = clamp(logRatio, -logRatioClamp, logRatioClamp);
      const ratio = Math.exp(clampedLogRatio);
      // the fused surrogate's gradient is scaled by `weight` below; a kernel's carries its weights already
      let gradient: number;
      if (surrogateGradient === null) {
        // `clippedSurrogate` (policy-losses-kernel.ts) with the dual clip, written out in locals for speed
        const clippedRatio = ratio < ratioLow ? ratioLow : ratio > ratioHigh ? ratioHigh : ratio;
        const unclippedLoss = -advantage * ratio;
        const clippedLoss = -advantage * clippedRatio;
        let value: number;
        let slope: number;
        if (unclippedLoss > clippedLoss) {
          value = unclippedLoss;
          slope = -advantage;
        } else if (unclippedLoss < clippedLoss) {
          value = clippedLoss;
          slope = 0;
          clipped += m;
        } else {
          value = unclippedLoss;
          slope = ratio >= ratioLow && ratio <= ratioHigh ? -advantage : -0.5 * advantage;
        }
        if (dualClip !== 0 && advantage < 0) {
          const floorLoss = -advantage * dualClip;
          if (value > floorLoss) {
            value = floorLoss;
            slope = 0;
            clippedLower += m;
          } else if (value === floorLoss) {
            slope *= 0.5;
          }
        }
        const tokenWeight = tokenWeights === null ? 1 : tokenWeights[index]!;
        const logRatioPasses = logRatio >= -logRatioClamp && logRatio <= logRatioClamp;
        gradient = logRatioPasses ? tokenWeight * slope * ratio : 0;
        pgLoss += weight * tokenWeight * value;
      } else gradient = surrogateGradient[index]!;
      let finite = logRatio - logRatio === 0 && advantage - advantage === 0;
      if (refLogprobs !== null) {
        const ref = refLogprobs[index]!;
        let klTerm: number;
        let klSlope: number;
        if (klKernel === klKernelCodes.generic) {
          klTerm = klValue(logprob, ref);
          klSlope = klGradient(logprob, ref);
        } else {
          k3ValueAndSlope(logprob, ref, klKernel !== klKernelCodes['k3-unclamped'], k3Pair);
          klTerm = k3Pair[0]!;
          klSlope = klKernel === klKernelCodes['k3-straight-through'] ? logprob - ref : k3Pair[1]!;
        }
        klLoss += weight * klTerm;
        gradient += (surrogateGradient === null ? klCoefficient : weight * klCoefficient) * klSlope;
        finite = finite && ref - ref === 0;
      }
      if (entropies !== null) {
        const entropy = entropies[index]!;
        entropyLoss += weight * entropy;
        finite = finite && entropy - entropy === 0;
      }
      gradLogprobs[index] = surrogateGradient === null ? weight * gradient : gradient;
      gradEntropies[index] = -entropyCoefficient * weight;

      maskSum += m;
      negativeLogRatio -= clampedLogRatio * m;
      ratioSum += ratio * m;
      if (ratio < ratioMin) ratioMin = ratio;
      if (ratio > ratioMax) ratioMax = ratio;
      if (tokenCount === 0) advantageShift = advantage;
      tokenCount++;
      const shifted = advantage - advantageShift;
      advantageShiftedSum += shifted;
      advantageShiftedSquares += shifted * shifted;
      if (advantage < advantageMin) advantageMin = advantage;
      if (advantage > advantageMax) advantageMax = advantage;
      if (!finite) nonFiniteTokenCount++;
    }
  }
  // a fresh array: code after the loop that needs no type feedback
  const sums = new Float64Array(Sum.length);
  sums[Sum.pgLoss] = pgLoss;
  sums[Sum.klLoss] = klLoss;
  sums[Sum.entropyLoss] = entropyLoss;
  sums[Sum.maskSum] = maskSum;
  sums[Sum.clipped] = clipped;
  sums[Sum.clippedLower] = clippedLower;
  sums[Sum.negativeLogRatio] = negativeLogRatio;
  sums[Sum.ratio] = ratioSum;
  sums[Sum.ratioMin] = ratioMin;
  sums[Sum.ratioMax] = ratioMax;
  sums[Sum.tokenCount] = tokenCount;
  sums[Sum.nonFiniteTokenCount] = nonFiniteTokenCount;
  sums[Sum.advantageShift] = advantageShift;
  sums[Sum.advantageShiftedSum] = advantageShiftedSum;
  sums[Sum.advantageShiftedSquares] = advantageShiftedSquares;
  sums[Sum.advantageMin] = advantageMin;
  sums[Sum.advantageMax] = advantageMax;
  return sums;
}

/** The fused surrogate's value and verl's metrics for it, from the sums of {@link runTokenPass}. */
export function fusedSurrogateSummary(sums: Float64Array): PolicyLossKernelResult {
  const maskSum = sums[Sum.maskSum]!;
  return {
    pgLoss: sums[Sum.pgLoss]!,
    pgClipFrac: maskedMean(sums[Sum.clipped]!, maskSum),
    pgClipFracLower: maskedMean(sums[Sum.clippedLower]!, maskSum),
    ppoKl: maskedMean(sums[Sum.negativeLogRatio]!, maskSum),
  };
}

/**
 * The loss and its metrics from the sums of {@link runTokenPass} and the surrogate's summary.
 */
export function actorLossResult(
  sums: Float64Array,
  surrogateSummary: PolicyLossKernelResult,
  context: { klCoefficient: number; entropyCoefficient: number; rowMaskSums: Float64Array; pass: TokenPass },
): ActorLossResult {
  const { klCoefficient, entropyCoefficient, rowMaskSums, pass } = context;
  const { pgLoss, pgClipFrac, pgClipFracLower, ppoKl } = surrogateSummary;
  const klLoss = sums[Sum.klLoss]!;
  const entropyLoss = sums[Sum.entropyLoss]!;
  const tokenCount = sums[Sum.tokenCount]!;
  const nonFiniteTokenCount = sums[Sum.nonFiniteTokenCount]!;
  const loss = pgLoss - entropyCoefficient * entropyLoss + klCoefficient * klLoss;
  const orZero = (value: number) => (tokenCount === 0 ? 0 : value);
  let sequenceCount = 0;
  for (const sum of rowMaskSums) if (sum > 0) sequenceCount++;
  const metrics: ActorLossMetrics = {
    loss,
    pgLoss,
    pgClipFrac,
    pgClipFracLower,
    ppoKl,
    ratioMean: maskedMean(sums[Sum.ratio]!, sums[Sum.maskSum]!),
    ratioMin: orZero(sums[Sum.ratioMin]!),
    ratioMax: orZero(sums[Sum.ratioMax]!),
    ...advantageMoments(sums),
    advantageMin: orZero(sums[Sum.advantageMin]!),
    advantageMax: orZero(sums[Sum.advantageMax]!),
    tokenCount,
    sequenceCount,
    nonFiniteTokenCount,
    isFinite: Number.isFinite(loss) && nonFiniteTokenCount === 0,
  };
  if (surrogateSummary.selectedTokenCount !== undefined)
    metrics.selectedTokenCount = surrogateSummary.selectedTokenCount;
  if (pass.refLogprobs !== null) metrics.klLoss = klLoss;
  if (pass.entropies !== null) metrics.entropy = entropyLoss;
  return { loss, gradLogprobs: pass.gradLogprobs, gradEntropies: pass.gradEntropies, metrics };
}

/** The advantages' mean and unbiased std over the tokens in the loss (0 and 0 without tokens). */
function advantageMoments(sums: Float64Array): { advantageMean: number; advantageStd: number } {
  const tokenCount = sums[Sum.tokenCount]!;
  const shiftedSum = sums[Sum.advantageShiftedSum]!;
  const shiftedSquares = sums[Sum.advantageShiftedSquares]!;
  const advantageMean = tokenCount === 0 ? 0 : sums[Sum.advantageShift]! + shiftedSum / tokenCount;
  const variance = tokenCount < 2 ? 0 : (shiftedSquares - (shiftedSum * shiftedSum) / tokenCount) / (tokenCount - 1);
  return { advantageMean, advantageStd: Math.sqrt(Math.max(0, variance)) };
}
