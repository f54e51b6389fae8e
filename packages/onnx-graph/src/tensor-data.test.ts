import { describe, expect, it } from 'vitest';
import { float16Bits, float16Value, scalar, tensor, tensorBytes } from './index.js';

describe('float16 conversion', () => {
  // bit patterns from the IEEE 754 binary16 definition
  const table: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [65520, 0x7c00], // rounds up to infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: ties to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, rounds to the even neighbour above
    [0.1, 0x2e66],
  ];
  for (const [value, bits] of table) {
    it(`${value} <-> 0x${bits.toString(16).padStart(4, '0')}`, () => {
      expect(float16Bits(value)).toBe(bits);
      if (
        Number.isFinite(value) &&
        value !== 65520 &&
        value !== 2 ** -25 &&
        value !== 3 * 2 ** -25 &&
        value !== 1 + 2 ** -11 &&
        value !== 1 + 3 * 2 ** -11 &&
        value !== 0.1
      ) {
        expect(float16Value(bits)).toBe(value);
      }
    });
  }

  it('NaN stays NaN', () => {
    expect(Number.isNaN(float16Value(float16Bits(Number.NaN)))).toBe(true);
  });
});

describe('tensor', () => {
  it('builds typed arrays per dtype', () => {
    expect(tensor('float32', [2], [1, 2]).data).toBeInstanceOf(Float32Array);
    expect(tensor('float64', [2], [1, 2]).data).toBeInstanceOf(Float64Array);
    expect(Array.from(tensor('int64', [2], [3, -4]).data)).toEqual([3n, -4n]);
    expect(Array.from(tensor('bool', [3], [1, 0, 5]).data)).toEqual([1, 0, 1]);
    expect(Array.from(tensor('float16', [1], [1]).data)).toEqual([0x3c00]);
    expect(scalar('int32', 7).shape).toEqual([]);
  });

  it('uses a matching typed array without copying', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const made = tensor('float32', [2, 2], data);
    expect(made.data).toBe(data);
    expect(tensorBytes(made).buffer).toBe(data.buffer);
    expect(tensorBytes(made).byteLength).toBe(16);
  });

  it('rejects a count that does not fill the shape, bad dims and unsafe int64 numbers', () => {
    expect(() => tensor('float32', [2, 3], [1, 2])).toThrow('tensor: 2 values do not fill shape [2, 3] (6 elements)');
    expect(() => tensor('float32', [-1], [])).toThrow('tensor: dims must be non-negative integers, got [-1]');
    expect(() => tensor('int64', [1], [2 ** 60])).toThrow('is not a safe integer');
  });
});
