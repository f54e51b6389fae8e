import { bfloat16Simd, chunkElements } from './bfloat16-simd';

/**
 * bfloat16 (safetensors `BF16`) <-> binary32 conversion. bfloat16 is the top half of a binary32: the
 * same sign and 8-bit exponent, 7 mantissa bits. Widening is a 16-bit shift and exact (subnormals,
 * infinities and NaN payloads included); narrowing rounds to nearest, ties to even, overflowing to
 * infinity, and keeps NaN a NaN by setting the quiet bit.
 */

/** The bfloat16 bits nearest (ties to even) to the binary32 value with bit pattern `single`. */
export function float32BitsToBfloat16Bits(single: number): number {
  if ((single & 0x7f800000) === 0x7f800000 && (single & 0x7fffff) !== 0) return ((single >>> 16) | 0x40) & 0xffff;
  // Add just under half an ulp of bfloat16, plus one when the kept part is odd (ties to even).
  // `single` is at most 0xff800000 here, so the sum stays below 2^32 and `>>> 16` sees it whole.
  return ((single + 0x7fff + ((single >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Widens bfloat16 bit patterns to float32 values, exactly. Front to back, so `halves` may be the upper
 * half of `output`'s own bytes (the reader widens in place). Bulk in WebAssembly SIMD when available.
 */
export function bfloat16ToFloat32(
  halves: Uint16Array,
  output: Float32Array = new Float32Array(halves.length),
): Float32Array {
  const accelerated = bfloat16Simd();
  let start = 0;
  if (accelerated !== null) {
    const vectorized = halves.length - (halves.length % 8);
    for (; start < vectorized; start += chunkElements) {
      const count = Math.min(chunkElements, vectorized - start);
      accelerated.halvesIn.set(halves.subarray(start, start + count)); // copied in before anything is written
      accelerated.widen(count);
      output.set(accelerated.singlesOut.subarray(0, count), start);
    }
    start = vectorized;
  }
  bfloat16ToFloat32Loop(halves, output, start);
  return output;
}

/** Narrows float32 values to bfloat16 bit patterns, rounding to nearest, ties to even. Bulk in WebAssembly SIMD when available. */
export function float32ToBfloat16(
  values: Float32Array,
  output: Uint16Array = new Uint16Array(values.length),
): Uint16Array {
  const accelerated = bfloat16Simd();
  let start = 0;
  if (accelerated !== null) {
    const vectorized = values.length - (values.length % 8);
    for (; start < vectorized; start += chunkElements) {
      const count = Math.min(chunkElements, vectorized - start);
      accelerated.singlesIn.set(values.subarray(start, start + count));
      accelerated.narrow(count);
      output.set(accelerated.halvesOut.subarray(0, count), start);
    }
    start = vectorized;
  }
  float32ToBfloat16Loop(values, output, start);
  return output;
}

/** The plain-JavaScript widening of elements `start..` (the fallback, and the tail after SIMD). */
export function bfloat16ToFloat32Loop(halves: Uint16Array, output: Float32Array, start = 0): Float32Array {
  const bits = new Int32Array(output.buffer, output.byteOffset, output.length);
  for (let index = start; index < halves.length; index++) bits[index] = halves[index]! << 16;
  return output;
}

/** The plain-JavaScript narrowing of elements `start..` (the fallback, and the tail after SIMD). */
export function float32ToBfloat16Loop(values: Float32Array, output: Uint16Array, start = 0): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let index = start; index < bits.length; index++) {
    const single = bits[index]!;
    output[index] =
      (single & 0x7f800000) === 0x7f800000 && (single & 0x7fffff) !== 0
        ? ((single >>> 16) | 0x40) & 0xffff
        : ((single + 0x7fff + ((single >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return output;
}
