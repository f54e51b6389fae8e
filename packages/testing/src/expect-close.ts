import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute tolerance. Default 1e-12. */
  atol?: number;
  /** Relative tolerance (of |expected|). Default 0. */
  rtol?: number;
  label?: string;
}

/**
 * Asserts `|actual − expected| ≤ atol + rtol·|expected|` element-wise and reports the worst element
 * (its index, both values and the difference) when it fails. NaN matches NaN only.
 */
export function expectClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tolerance: Tolerance = {},
): void {
  const { atol = 1e-12, rtol = 0, label = 'value' } = tolerance;
  const actualList = typeof actual === 'number' ? [actual] : Array.from(actual);
  const expectedList = typeof expected === 'number' ? [expected] : Array.from(expected);
  expect(actualList.length, `${label}: length`).toBe(expectedList.length);
  let worst = { index: -1, excess: 0, difference: 0 };
  for (let index = 0; index < expectedList.length; index++) {
    const a = actualList[index]!;
    const e = expectedList[index]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a))
        worst = { index, excess: Number.POSITIVE_INFINITY, difference: Number.NaN };
      continue;
    }
    if (a === e) continue;
    const difference = Math.abs(a - e);
    const excess = difference - (atol + rtol * Math.abs(e));
    if (excess > worst.excess || Number.isNaN(difference))
      worst = { index, excess: Number.isNaN(difference) ? Infinity : excess, difference };
  }
  if (worst.index >= 0) {
    const a = actualList[worst.index];
    const e = expectedList[worst.index];
    expect.fail(
      `${label}[${worst.index}]: got ${a}, expected ${e} (|diff| ${worst.difference.toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`,
    );
  }
}

/** A seeded uniform generator on [0, 1) (mulberry32), so random batches are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded uniform generator on [0, 1) (the LCG `state · 1664525 + 1013904223 mod 2^32`; seed 0 acts as 1). */
export function lcgRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Whether two float32 arrays have the same length and bit-identical values (false when `a` is missing). */
export function sameArrayBits(a: Float32Array | undefined, b: Float32Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const otherBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let index = 0; index < bits.length; index++) if (bits[index] !== otherBits[index]) return false;
  return true;
}

/** Whether two maps of float32 arrays hold the same names and bit-identical values. */
export function sameBits(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!sameArrayBits(b.get(name), value)) return false;
  return true;
}
