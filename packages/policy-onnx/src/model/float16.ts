/**
 * IEEE 754 binary16 ("half", safetensors `F16`) <-> binary32 conversion, written out bit by bit.
 *
 * binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. Exponent 0 holds zero and the
 * subnormals (mantissa × 2^-24); exponent 31 holds infinity (mantissa 0) and NaN (mantissa ≠ 0).
 * Every binary16 value is exactly representable in binary32, so widening is exact; narrowing rounds
 * to nearest, ties to even, overflowing to infinity. NaN payloads are kept where they fit (the top
 * 10 mantissa bits), with the quiet bit set so that a NaN never narrows to infinity.
 */

/** The binary32 bit pattern (as an unsigned 32-bit integer) of the binary16 value with bits `half`. */
export function float16BitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  let mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal: shift the mantissa up until its leading 1 becomes the implicit bit.
  let unbiasedExponent = -14;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    unbiasedExponent -= 1;
  }
  return (sign | ((unbiasedExponent + 127) << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

/** The binary16 bits nearest (ties to even) to the binary32 value with bit pattern `single`. */
export function float32BitsToFloat16Bits(single: number): number {
  const sign = (single >>> 16) & 0x8000;
  const exponent = (single >>> 23) & 0xff;
  let mantissa = single & 0x7fffff;
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00;
    return sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // The result is a binary16 subnormal (or zero): value / 2^-24, rounded to an integer.
    if (halfExponent < -10) return sign; // below half the smallest subnormal (2^-25): rounds to zero
    mantissa |= 0x800000;
    const shift = 14 - halfExponent; // 14..24
    const truncated = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (truncated & 1) === 1) ? 1 : 0;
    return sign | (truncated + roundUp); // a carry into bit 10 yields the smallest normal, as it should
  }
  const truncated = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (truncated & 1) === 1) ? 1 : 0;
  return sign | (truncated + roundUp); // a carry out of the mantissa bumps the exponent (up to infinity)
}

let widenTable: Float32Array | undefined;

/** All 65536 binary16 values as binary32, built once on first use (256 KiB). */
function float16Table(): Float32Array {
  if (widenTable === undefined) {
    const bits = new Uint32Array(0x10000);
    for (let half = 0; half < 0x10000; half++) bits[half] = float16BitsToFloat32Bits(half);
    widenTable = new Float32Array(bits.buffer);
  }
  return widenTable;
}

/** Widens binary16 bit patterns to float32 values, exactly. `output` defaults to a new array. */
export function float16ToFloat32(
  halves: Uint16Array,
  output: Float32Array = new Float32Array(halves.length),
): Float32Array {
  const table = float16Table();
  for (let index = 0; index < halves.length; index++) output[index] = table[halves[index]!]!;
  return output;
}

/** Narrows float32 values to binary16 bit patterns, rounding to nearest, ties to even. */
export function float32ToFloat16(
  values: Float32Array,
  output: Uint16Array = new Uint16Array(values.length),
): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let index = 0; index < bits.length; index++) output[index] = float32BitsToFloat16Bits(bits[index]!);
  return output;
}
