import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { SeededRng } from './seeded-rng';

describe('SeededRng', () => {
  it('is xoshiro128**: the first outputs from state [1, 2, 3, 4] match an independent Python port', () => {
    const rng = SeededRng.fromState({ words: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
    expect(rng.state().words).toEqual([1110993931, 286554632, 2431677446, 2165318166]);
  });

  it('continues exactly from a saved state (what a resumed run relies on)', () => {
    const original = new SeededRng(42);
    for (let index = 0; index < 17; index++) original.next();
    const saved = JSON.parse(JSON.stringify(original.state()));
    const expected = Array.from({ length: 20 }, () => original.nextUint32());
    const restored = SeededRng.fromState(saved);
    expect(Array.from({ length: 20 }, () => restored.nextUint32())).toEqual(expected);
  });

  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    const draw = (seed: number) => {
      const rng = new SeededRng(seed);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(0).some((value) => value !== 0)).toBe(true);
  });

  it('draws integers in range with every value reachable, and floats in [0, 1)', () => {
    const rng = new SeededRng(3);
    const counts = new Array<number>(5).fill(0);
    for (let index = 0; index < 5000; index++) counts[rng.integer(5)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    for (let index = 0; index < 1000; index++) {
      const value = rng.next();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(rng.integer(1)).toBe(0);
  });

  it('rejects bad seeds, states and ranges', () => {
    expect(() => new SeededRng(-1)).toThrow(InvalidInputError);
    expect(() => new SeededRng(1.5)).toThrow(/non-negative safe integer/);
    expect(() => SeededRng.fromState({ words: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => SeededRng.fromState({ words: [1, 2, 3] as unknown as [number, number, number, number] })).toThrow(/four uint32/);
    expect(() => new SeededRng(1).integer(0)).toThrow(/\[1, 2\^32\]/);
    expect(() => new SeededRng(1).pick([])).toThrow(/empty list/);
  });
});
