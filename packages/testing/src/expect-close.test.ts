import { describe, expect, it } from 'vitest';
import { expectClose, seededRandom } from './expect-close';

describe('expectClose', () => {
  it('passes within tolerance and names the worst element otherwise', () => {
    expectClose([1, 2, 3], [1, 2 + 1e-13, 3]);
    expectClose(100.001, 100, { rtol: 1e-5 });
    expect(() => expectClose([1, 2, 3.5], [1, 2.1, 3], { atol: 0.2, label: 'row' })).toThrow(
      /row\[2\]: got 3.5, expected 3/,
    );
    expect(() => expectClose([Number.NaN], [1])).toThrow(/got NaN/);
    expectClose([Number.NaN], [Number.NaN]);
  });

  it('draws the same numbers from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
