import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { bm25InverseDocumentFrequency, bm25LengthNorms, resolveBm25Parameters } from './bm25';

describe('bm25InverseDocumentFrequency = ln(1 + (N − df + 0.5) / (df + 0.5))', () => {
  it.each([
    // N, df, value worked by hand
    [10, 1, Math.log(1 + 9.5 / 1.5)], // 1.99243…
    [10, 10, Math.log(1 + 0.5 / 10.5)], // a term in every passage still counts a little
    [1000, 3, Math.log(1 + 997.5 / 3.5)],
    [1, 1, Math.log(1 + 0.5 / 1.5)],
  ])('N=%i df=%i', (documents, frequency, expected) => {
    expect(bm25InverseDocumentFrequency(documents, frequency)).toBeCloseTo(expected, 12);
  });

  it('is 1.99243 for N=10, df=1', () => {
    expect(bm25InverseDocumentFrequency(10, 1)).toBeCloseTo(1.992430164690206, 12);
  });
});

describe('bm25LengthNorms = k1 · (1 − b + b · dl / avgdl)', () => {
  it('matches a worked table (k1 0.9, b 0.4, lengths 2, 4, 6: avgdl 4)', () => {
    const norms = bm25LengthNorms(new Uint32Array([2, 4, 6]), 12, { k1: 0.9, b: 0.4 });
    expect(Array.from(norms)).toEqual(
      [0.9 * (0.6 + 0.4 * 0.5), 0.9 * (0.6 + 0.4), 0.9 * (0.6 + 0.4 * 1.5)].map((value) => expect.closeTo(value, 12)),
    );
  });

  it('uses k1 when every passage is empty (no division by zero)', () => {
    expect(Array.from(bm25LengthNorms(new Uint32Array([0, 0]), 0, { k1: 1.2, b: 0.75 }))).toEqual([1.2, 1.2]);
  });
});

describe('resolveBm25Parameters', () => {
  it('defaults to Pyserini k1 0.9, b 0.4', () => {
    expect(resolveBm25Parameters()).toEqual({ k1: 0.9, b: 0.4 });
    expect(resolveBm25Parameters({ k1: 1.2 })).toEqual({ k1: 1.2, b: 0.4 });
  });

  it('rejects out-of-range values with the field path', () => {
    expect(() => resolveBm25Parameters({ k1: -1 })).toThrow(
      new InvalidConfigError('bm25.k1', 'expected a finite number ≥ 0, got -1'),
    );
    expect(() => resolveBm25Parameters({ b: 1.5 })).toThrow(
      new InvalidConfigError('bm25.b', 'expected a number in [0, 1], got 1.5'),
    );
    expect(() => resolveBm25Parameters({ k1: Number.NaN })).toThrow('config field "bm25.k1"');
  });
});
