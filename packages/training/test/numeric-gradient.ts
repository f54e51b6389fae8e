/**
 * The central-difference gradient of `objective` in every element of `value` (perturbed by ±`step` in
 * place, then restored), divided by the float32 distance between the perturbed values.
 */
export function numericGradient(value: Float32Array, objective: () => number, step = 1e-3): Float64Array {
  const numeric = new Float64Array(value.length);
  for (let index = 0; index < value.length; index++) {
    const original = value[index]!;
    value[index] = original + step;
    const plus = value[index]!;
    const up = objective();
    value[index] = original - step;
    const minus = value[index]!;
    const down = objective();
    value[index] = original;
    numeric[index] = (up - down) / (plus - minus);
  }
  return numeric;
}
