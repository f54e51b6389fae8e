import { gradClipCoefficient, sumOfSquares } from '@research-ts/spec';
import { expectNumber, type RealArray } from './batch-shape';

/** Gradients by name or as a list. */
export type GradientSet = ReadonlyMap<string, RealArray> | Readonly<Record<string, RealArray>> | Iterable<RealArray>;

/** The gradient arrays of a {@link GradientSet}, in its order. */
export function gradientArrays(gradients: GradientSet): RealArray[] {
  if (gradients instanceof Map) return [...gradients.values()];
  if (Symbol.iterator in gradients) return [...(gradients as Iterable<RealArray>)];
  return Object.values(gradients as Readonly<Record<string, RealArray>>);
}

/**
 * Scales gradients in place so that their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: `total = ‖(‖g_1‖, …, ‖g_n‖)‖₂`, `coef = maxNorm / (total + 1e-6)`,
 * clamped to at most 1, every gradient multiplied by it. The norm is accumulated in float64.
 *
 * When the total norm is not finite the gradients are left untouched (PyTorch would multiply them by
 * 0 or NaN); the caller skips the step, as verl's actor does.
 *
 * @returns the total norm before clipping.
 */
export function clipGradNorm(gradients: GradientSet, maxNorm: number): number {
  expectNumber('maxNorm', maxNorm, (value) => value > 0, 'must be > 0');
  const arrays = gradientArrays(gradients);
  let squares = 0;
  for (const array of arrays) squares += sumOfSquares(array);
  const total = Math.sqrt(squares);
  const coefficient = gradClipCoefficient(total, maxNorm);
  if (coefficient !== undefined && coefficient < 1)
    for (const array of arrays) for (let index = 0; index < array.length; index++) array[index]! *= coefficient;
  return total;
}
