import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/python-random.json';
import { PythonRandom } from './python-random';

// Every expected value below was produced by CPython's `random` module (scripts/make-python-random-fixture.py).
function seedOf(text: string): number | bigint {
  const value = BigInt(text);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

describe('PythonRandom against CPython', () => {
  it('the fixture came from CPython', () => {
    expect(fixture.generatedBy).toMatch(/^CPython 3\./);
    expect(fixture.cases).toHaveLength(7);
  });

  for (const testCase of fixture.cases) {
    describe(`random.seed(${testCase.seed})`, () => {
      it('getrandbits(32) × 5', () => {
        const random = new PythonRandom(seedOf(testCase.seed));
        expect(testCase.getrandbits32.map(() => random.getrandbits(32))).toEqual(testCase.getrandbits32);
      });

      it('random() × 5, bit for bit', () => {
        const random = new PythonRandom(seedOf(testCase.seed));
        expect(testCase.random.map(() => random.random())).toEqual(testCase.random);
      });

      it('getrandbits(k) for k = 0 … 53', () => {
        const random = new PythonRandom(seedOf(testCase.seed));
        expect(testCase.getrandbits.map(([bits]) => [bits, random.getrandbits(bits!)])).toEqual(testCase.getrandbits);
      });

      it('_randbelow(n) up to 2^40', () => {
        const random = new PythonRandom(seedOf(testCase.seed));
        expect(testCase.randbelow.map(([n]) => [n, random.randbelow(n!)])).toEqual(testCase.randbelow);
      });

      it('shuffle of range(0), range(1), range(2), range(3), range(20), range(100)', () => {
        for (const expected of testCase.shuffle) {
          const random = new PythonRandom(seedOf(testCase.seed));
          const values = Array.from({ length: expected.length }, (_, index) => index);
          expect(random.shuffle(values)).toBe(values);
          expect(values).toEqual(expected);
        }
      });
    });
  }

  it('random.seed(42); shuffle(list(range(20))) — the worked example', () => {
    const values = Array.from({ length: 20 }, (_, index) => index);
    new PythonRandom(42).shuffle(values);
    expect(values).toEqual([19, 5, 14, 4, 9, 13, 15, 18, 6, 12, 17, 10, 1, 11, 2, 16, 7, 8, 0, 3]);
  });

  it('a bigint seed equals the same number, a negative seed its absolute value, and reseeding restarts', () => {
    const random = new PythonRandom(42n);
    const first = [random.nextUint32(), random.nextUint32()];
    random.seed(-42);
    expect([random.nextUint32(), random.nextUint32()]).toEqual(first);
    expect(first[0]).toBe(2746317213);
  });

  it('refuses what it cannot reproduce', () => {
    expect(() => new PythonRandom(1.5)).toThrow(InvalidConfigError);
    expect(() => new PythonRandom(2 ** 60)).toThrow('config field "seed": must be a safe integer or a bigint');
    expect(() => new PythonRandom(1).getrandbits(54)).toThrow(
      'config field "bits": must be an integer from 0 to 53 (got 54)',
    );
    expect(() => new PythonRandom(1).randbelow(0)).toThrow(
      'config field "n": must be an integer from 1 to 2^53 (got 0)',
    );
  });
});
