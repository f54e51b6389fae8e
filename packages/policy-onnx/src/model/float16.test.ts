import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32Bits, float16ToFloat32, float32BitsToFloat16Bits, float32ToFloat16 } from './float16';

/** binary16 value of `bits` by the textbook formula, in float64 (exact for every binary16 value). */
function formulaValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const singleBits = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;
const singleValue = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

/** Nearest binary16 to a float64 `value` by search over all finite positive binary16 values, ties to even. */
const positiveHalves = Array.from({ length: 0x7c00 }, (_, bits) => formulaValue(bits)); // ascending
function referenceNarrow(value: number): number {
  if (Number.isNaN(value)) throw new Error('reference handles numbers only');
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to infinity (ties to even)
  let low = 0;
  let high = positiveHalves.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (positiveHalves[middle]! <= magnitude) low = middle;
    else high = middle;
  }
  if (magnitude >= positiveHalves[high]!) low = high;
  if (low === high || magnitude === positiveHalves[low]) return sign | low;
  const below = magnitude - positiveHalves[low]!;
  const above = positiveHalves[high]! - magnitude;
  if (below < above) return sign | low;
  if (above < below) return sign | high;
  return sign | (low % 2 === 0 ? low : high);
}

function xorshift32(state: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
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

describe('binary16 -> binary32', () => {
  it('matches the textbook formula on all 65536 bit patterns (signed zeros, subnormals, inf, NaN)', () => {
    let checked = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const actual = singleValue(float16BitsToFloat32Bits(bits));
      const expected = formulaValue(bits);
      if (Number.isNaN(expected)) expect(Number.isNaN(actual), `bits ${bits.toString(16)}`).toBe(true);
      else if (!Object.is(actual, expected)) expect(actual, `bits 0x${bits.toString(16)}`).toBe(expected);
      checked++;
    }
    expect(checked).toBe(65536);
  });

  it('keeps NaN payloads and signs', () => {
    expect(float16BitsToFloat32Bits(0x7c01)).toBe(0x7f802000);
    expect(float16BitsToFloat32Bits(0xfe00)).toBe(0xffc00000);
    expect(float16BitsToFloat32Bits(0x7fff)).toBe(0x7fffe000);
  });

  it('worked values', () => {
    const table: Array<[number, number]> = [
      [0x0000, 0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x3555, 0.333251953125],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of table) expect(singleValue(float16BitsToFloat32Bits(bits))).toBe(value);
    expect(Object.is(singleValue(float16BitsToFloat32Bits(0x8000)), -0)).toBe(true);
  });

  it("equals CPython's struct 'e' codec (digest from tools/float16-reference.py)", () => {
    const widened = float16ToFloat32(Uint16Array.from({ length: 0x10000 }, (_, bits) => bits));
    const bits = new Uint32Array(widened.buffer);
    for (let index = 0; index < bits.length; index++) {
      if (Number.isNaN(widened[index]!)) bits[index] = index & 0x8000 ? 0xffc00000 : 0x7fc00000;
    }
    const digest = createHash('sha256').update(new Uint8Array(bits.buffer)).digest('hex');
    expect(digest).toBe('ace258bc1879e9180ecf63aa1c93a37850c018bad062cc7a98c42232c72204b6');
  });
});

describe('binary32 -> binary16', () => {
  it('round-trips every non-NaN binary16 value exactly and keeps every NaN a NaN', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const back = float32BitsToFloat16Bits(float16BitsToFloat32Bits(bits));
      const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (isNaN) {
        if ((back & 0x7c00) !== 0x7c00 || (back & 0x3ff) === 0 || (back & 0x8000) !== (bits & 0x8000)) {
          expect(back.toString(16), `NaN 0x${bits.toString(16)}`).toBe('a NaN of the same sign');
        }
      } else if (back !== bits) expect(back.toString(16), `bits 0x${bits.toString(16)}`).toBe(bits.toString(16));
    }
  });

  it('rounds every midpoint between neighbours to the even one, and the floats around it to the nearer one', () => {
    for (let bits = 0; bits < 0x7bff; bits++) {
      const low = formulaValue(bits);
      const high = formulaValue(bits + 1);
      const middle = (low + high) / 2; // exact in binary32: binary16 midpoints need at most 12 significant bits
      const middleBits = singleBits(middle);
      expect(singleValue(middleBits)).toBe(middle);
      const even = bits % 2 === 0 ? bits : bits + 1;
      const cases: Array<[number, number]> = [
        [middleBits, even],
        [middleBits - 1, bits],
        [middleBits + 1, bits + 1],
      ];
      for (const [input, expected] of cases) {
        const actual = float32BitsToFloat16Bits(input);
        if (actual !== expected) expect(actual, `input 0x${input.toString(16)}`).toBe(expected);
        const negative = float32BitsToFloat16Bits((input | 0x80000000) >>> 0);
        if (negative !== (expected | 0x8000))
          expect(negative, `input -0x${input.toString(16)}`).toBe(expected | 0x8000);
      }
    }
  });

  it('overflows to infinity at 65520 and flushes below 2^-25 to zero', () => {
    const table: Array<[number, number]> = [
      [65504, 0x7bff],
      [65519.99609375, 0x7bff],
      [65520, 0x7c00],
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [3.4028234663852886e38, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -25, 0x0000],
      [2 ** -25 * (1 + 2 ** -23), 0x0001],
      [2 ** -26, 0x0000],
      [-(2 ** -26), 0x8000],
      [1.401298464324817e-45, 0x0000],
      [2 ** -24 * 1.5, 0x0002],
      [2 ** -24 * 2.5, 0x0002],
      [2 ** -14 - 2 ** -25, 0x0400],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [value, expected] of table)
      expect(float32BitsToFloat16Bits(singleBits(value)), `value ${value}`).toBe(expected);
  });

  it('agrees with a nearest-value search on 200000 random binary32 values', () => {
    let state = 0x12345678;
    for (let count = 0; count < 200_000; count++) {
      state = xorshift32(state);
      const single = ((state & 0x807fffff) | ((((state >>> 23) & 0x3f) + 98) << 23)) >>> 0;
      const expected = referenceNarrow(singleValue(single));
      const actual = float32BitsToFloat16Bits(single);
      if (actual !== expected) expect(actual, `input 0x${single.toString(16)}`).toBe(expected);
    }
  });

  it("equals CPython's struct 'e' rounding (digest from tools/float16-reference.py)", () => {
    const packed: number[] = [];
    let state = 0x9e3779b9;
    while (packed.length < 200_000) {
      state = xorshift32(state);
      const single = ((state & 0x807fffff) | ((((state >>> 23) & 0x3f) + 98) << 23)) >>> 0;
      if (Math.abs(singleValue(single)) >= 65520) continue;
      packed.push(float32BitsToFloat16Bits(single));
    }
    const digest = createHash('sha256')
      .update(new Uint8Array(Uint16Array.from(packed).buffer))
      .digest('hex');
    expect(digest).toBe('a584ef42d61050e42adfc911cab746de6c16cc68c97dd5e1bf358aea787843ad');
  });

  it('converts arrays element by element, NaN kept', () => {
    const values = new Float32Array([0, -0, 1, -2.5, 65504, 70000, Number.NaN, 2 ** -24, 0.1]);
    const halves = float32ToFloat16(values);
    expect(Array.from(halves)).toEqual([0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x7c00, 0x7e00, 0x0001, 0x2e66]);
    const back = float16ToFloat32(halves);
    expect(Array.from(back.subarray(0, 6))).toEqual([0, -0, 1, -2.5, 65504, Infinity]);
    expect(Number.isNaN(back[6]!)).toBe(true);
    expect(back[8]).toBe(0.0999755859375);
  });

  it("rounds like PyTorch's .to(torch.float16) (digest from tools/torch-bfloat16-reference.py, torch 1.13 CPU)", () => {
    const halves = float32ToFloat16(torchReferenceInputs());
    expect(createHash('sha256').update(new Uint8Array(halves.buffer)).digest('hex')).toBe(
      '76651eca4f2bea1683bc2916e99281e5641bac7907776eceadc7de18f37396fc',
    );
  });
});
