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

/** Widens bfloat16 bit patterns to float32 values, exactly. */
export function bfloat16ToFloat32(halves: Uint16Array, output: Float32Array = new Float32Array(halves.length)): Float32Array {
  const bits = new Uint32Array(output.buffer, output.byteOffset, output.length);
  for (let index = 0; index < halves.length; index++) bits[index] = halves[index]! << 16;
  return output;
}

/** Narrows float32 values to bfloat16 bit patterns, rounding to nearest, ties to even. */
export function float32ToBfloat16(values: Float32Array, output: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let index = 0; index < bits.length; index++) {
    const single = bits[index]!;
    output[index] =
      (single & 0x7f800000) === 0x7f800000 && (single & 0x7fffff) !== 0
        ? ((single >>> 16) | 0x40) & 0xffff
        : ((single + 0x7fff + ((single >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return output;
}
