import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  bfloat16ToFloat32Loop,
  float32BitsToBfloat16Bits,
  float32ToBfloat16,
  float32ToBfloat16Loop,
} from './bfloat16';
import { bfloat16Simd, chunkElements } from './bfloat16-simd';

/** bfloat16 value of `bits` by the textbook formula (float64; exact). */
function formulaValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 7) & 0xff;
  const mantissa = bits & 0x7f;
  if (exponent === 0xff) return mantissa === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0) return sign * (mantissa / 128) * 2 ** -126;
  return sign * (1 + mantissa / 128) * 2 ** (exponent - 127);
}

const singleBits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;
const singleValue = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

/** Nearest bfloat16 to the finite binary32 `single` by comparing its two bfloat16 neighbours, ties to even. */
function referenceNarrow(single: number): number {
  const value = singleValue(single);
  const sign = (single >>> 16) & 0x8000;
  const lowBits = (single >>> 16) & 0x7fff; // truncation: the neighbour toward zero
  const low = Math.abs(formulaValue(lowBits));
  const high = lowBits === 0x7f7f ? 2 ** 128 : Math.abs(formulaValue(lowBits + 1)); // past the largest finite: infinity's stand-in
  const magnitude = Math.abs(value);
  if (magnitude === low) return sign | lowBits;
  const below = magnitude - low;
  const above = high - magnitude;
  const pick = below < above ? lowBits : above < below ? lowBits + 1 : lowBits % 2 === 0 ? lowBits : lowBits + 1;
  return sign | pick;
}

/** The binary32 patterns of tools/torch-bfloat16-reference.py: xorshift32 from 0x2545f491, NaNs skipped. */
function torchReferenceInputs(): Float32Array {
  const patterns = new Uint32Array(200_000);
  let state = 0x2545f491;
  let count = 0;
  while (count < patterns.length) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    if ((state & 0x7f800000) === 0x7f800000 && (state & 0x7fffff) !== 0) continue;
    patterns[count++] = state;
  }
  return new Float32Array(patterns.buffer);
}

describe('bfloat16', () => {
  it('widens all 65536 bit patterns exactly (formula), NaN payloads kept', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, bits) => bits);
    const widened = bfloat16ToFloat32(all);
    const widenedBits = new Uint32Array(widened.buffer);
    for (let bits = 0; bits < 0x10000; bits++) {
      const expected = formulaValue(bits);
      if (Number.isNaN(expected)) {
        if (widenedBits[bits] !== bits * 0x10000) expect(widenedBits[bits]).toBe(bits * 0x10000);
      } else if (!Object.is(widened[bits], expected))
        expect(widened[bits], `bits 0x${bits.toString(16)}`).toBe(expected);
    }
  });

  it('narrows every bfloat16 value back to itself and every NaN to a NaN', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const back = float32BitsToBfloat16Bits(bits * 0x10000);
      const isNaN = (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
      if (
        isNaN ? (back & 0x7f80) !== 0x7f80 || (back & 0x7f) === 0 || (back & 0x8000) !== (bits & 0x8000) : back !== bits
      ) {
        expect(back.toString(16), `bits 0x${bits.toString(16)}`).toBe(bits.toString(16));
      }
    }
    // A signalling NaN whose payload sits only in the dropped bits must not become infinity.
    expect(float32BitsToBfloat16Bits(0x7f800001)).toBe(0x7fc0);
    expect(float32BitsToBfloat16Bits(0xff800001)).toBe(0xffc0);
  });

  it('rounds to nearest, ties to even (worked values)', () => {
    const table: Array<[number, number]> = [
      [1, 0x3f80],
      [1 + 2 ** -8, 0x3f80], // tie, 0x3f80 is even
      [1 + 3 * 2 ** -8, 0x3f82], // tie, 0x3f81 odd -> up
      [1 + 2 ** -8 + 2 ** -20, 0x3f81],
      [-1.5, 0xbfc0],
      [3.140625, 0x4049],
      [Math.fround(Math.PI), 0x4049],
      [3.4028234663852886e38, 0x7f80], // the largest binary32 is past bfloat16's largest + half an ulp
      [3.3895313892515355e38, 0x7f7f], // bfloat16's largest finite
      [Infinity, 0x7f80],
      [-Infinity, 0xff80],
      [2 ** -133, 0x0001], // bfloat16 subnormal, exact
      [1.401298464324817e-45, 0x0000], // smallest binary32 subnormal: below half a bfloat16 subnormal ulp
    ];
    for (const [value, expected] of table)
      expect(float32BitsToBfloat16Bits(singleBits(value)), `value ${value}`).toBe(expected);
  });

  it('agrees with a neighbour comparison on 200000 random finite binary32 values', () => {
    let state = 0x2545f491;
    for (let count = 0; count < 200_000; count++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      if ((state & 0x7f800000) === 0x7f800000) continue;
      const expected = referenceNarrow(state);
      const actual = float32BitsToBfloat16Bits(state);
      if (actual !== expected) expect(actual, `input 0x${state.toString(16)}`).toBe(expected);
    }
  });

  it('array narrowing equals the scalar one', () => {
    const values = new Float32Array([0, -0, 1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, Number.NaN, -Infinity, 1e-40]);
    const scalar = Array.from(new Uint32Array(values.buffer), float32BitsToBfloat16Bits);
    expect(Array.from(float32ToBfloat16(values))).toEqual(scalar);
    expect(scalar.slice(0, 5)).toEqual([0x0000, 0x8000, 0x3f80, 0x3f80, 0x3f82]);
  });

  it("rounds like PyTorch's .to(torch.bfloat16) (digest from tools/torch-bfloat16-reference.py, torch 1.13 CPU)", () => {
    const halves = float32ToBfloat16(torchReferenceInputs());
    expect(createHash('sha256').update(new Uint8Array(halves.buffer)).digest('hex')).toBe(
      'dd4de5291c970f9721017ecb3d334c1231c1f6f0ccd029f180fd999fccd250a3',
    );
  });

  it('the WebAssembly SIMD path is active on Node 20 and equals the plain loops, across chunk boundaries and tails', () => {
    expect(bfloat16Simd()).not.toBeNull();
    const length = 3 * chunkElements + 13; // three full chunks, then a partial vector tail
    const bits = new Uint32Array(length);
    let state = 0x9e3779b9;
    for (let index = 0; index < length; index++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bits[index] = state >>> 0; // every class: normals, subnormals, zeros, infinities, NaNs with payloads
    }
    bits.set([0x7f800001, 0xff800001, 0x7fffffff, 0x7f800000, 0xff7fffff, 0x3f808000, 0x3f818000, 0], 100);
    const values = new Float32Array(bits.buffer);
    const fast = float32ToBfloat16(values);
    const loop = float32ToBfloat16Loop(values, new Uint16Array(length));
    expect(Buffer.from(fast.buffer).equals(Buffer.from(loop.buffer))).toBe(true);
    expect(Array.from(fast.subarray(100, 108))).toEqual([0x7fc0, 0xffc0, 0x7fff, 0x7f80, 0xff80, 0x3f80, 0x3f82, 0]);
    for (const index of [0, 1, 4095, 16383, 16384, length - 1])
      expect(fast[index]).toBe(float32BitsToBfloat16Bits(bits[index]!));

    const widened = bfloat16ToFloat32(fast);
    const widenedLoop = bfloat16ToFloat32Loop(fast, new Float32Array(length));
    expect(Buffer.from(widened.buffer).equals(Buffer.from(widenedLoop.buffer))).toBe(true);
    expect(new Uint32Array(widened.buffer)[length - 1]).toBe(fast[length - 1]! * 0x10000);
  });

  it('widens in place from the upper half of the output, as the file reader does', () => {
    const length = 2 * chunkElements + 7;
    const halves = Uint16Array.from({ length }, (_, index) => (index * 7919) & 0xffff);
    const expected = bfloat16ToFloat32(halves);
    const output = new Float32Array(length);
    const upperHalf = new Uint16Array(output.buffer, length * 2, length);
    upperHalf.set(halves);
    bfloat16ToFloat32(upperHalf, output);
    expect(Buffer.from(output.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });
});
