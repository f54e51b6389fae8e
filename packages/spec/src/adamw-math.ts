/**
 * The AdamW update of one tensor, defined once for every implementation of the training seam: the
 * host arrays here, and the device graphs of a GPU policy, which compute the same expressions.
 * PyTorch's semantics (`torch.optim.AdamW`, single-tensor path, no amsgrad), per element:
 *
 * ```text
 * p  ← p · (1 − lr·λ)                       decoupled weight decay
 * m  ← m + (1 − β1)(g − m)
 * v  ← β2·v + (1 − β2)·g²
 * p  ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * ```
 *
 * Arithmetic is float32, operation by operation in PyTorch's order, with `lerp_` and `addcmul_` fused
 * (one rounding each), as PyTorch's vectorised CPU kernels compute them (the grpo package's fixtures
 * check it bit for bit against torch).
 */

/** The float32 constants of one tensor's update at its step `t` (1-based). */
export interface AdamWConstants {
  /** `1 − lr·λ`. */
  decay: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** `√(1 − β2^t)`. */
  biasCorrection2Sqrt: number;
  /** `−lr / (1 − β1^t)`. */
  negativeStepSize: number;
  eps: number;
}

/** The constants of an update at tensor step `step` (≥ 1), each rounded to float32 as PyTorch does. */
export function adamWConstants(options: {
  learningRate: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  step: number;
}): AdamWConstants {
  const { learningRate, betas, eps, weightDecay, step } = options;
  const fround = Math.fround;
  return {
    decay: fround(1 - learningRate * weightDecay),
    oneMinusBeta1: fround(1 - betas[0]),
    beta2: fround(betas[1]),
    oneMinusBeta2: fround(1 - betas[1]),
    biasCorrection2Sqrt: fround(Math.sqrt(1 - betas[1] ** step)),
    negativeStepSize: fround(-learningRate / (1 - betas[0] ** step)),
    eps: fround(eps),
  };
}

/** Applies one AdamW update to `value` and its moments in place, given the gradient (rounded to float32 first). */
export function applyAdamW(
  value: Float32Array,
  gradient: ArrayLike<number>,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  constants: AdamWConstants,
): void {
  const fround = Math.fround;
  const { decay, oneMinusBeta1, beta2, oneMinusBeta2, biasCorrection2Sqrt, negativeStepSize, eps } = constants;
  for (let index = 0; index < value.length; index++) {
    const g = fround(gradient[index]!);
    const m = expAvg[index]!;
    // lerp and addcmul are fused multiply-adds: a float32 product is exact in float64, one rounding follows
    const nextM = fround(m + oneMinusBeta1 * fround(g - m));
    const nextV = fround(fround(expAvgSq[index]! * beta2) + fround(oneMinusBeta2 * g) * g);
    expAvg[index] = nextM;
    expAvgSq[index] = nextV;
    const denominator = fround(fround(fround(Math.sqrt(nextV)) / biasCorrection2Sqrt) + eps);
    value[index] = fround(value[index]! * decay) + fround(fround(negativeStepSize * nextM) / denominator);
  }
}

/**
 * `torch.nn.utils.clip_grad_norm_`'s coefficient for a total norm: `maxNorm / (total + 1e-6)` clamped to
 * at most 1. Undefined when the norm is not finite (the update is skipped, as verl's actor does).
 */
export function gradClipCoefficient(totalNorm: number, maxNorm: number): number | undefined {
  if (!Number.isFinite(totalNorm)) return undefined;
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}

/** The sum of squares of an array, accumulated in float64. */
export function sumOfSquares(values: ArrayLike<number>): number {
  let sum = 0;
  for (let index = 0; index < values.length; index++) sum += values[index]! * values[index]!;
  return sum;
}
