import { describe, expect, it } from 'vitest';
import { formatNumber, niceTicks } from './nice-ticks';

describe('niceTicks', () => {
  it.each([
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0.03, 0.91, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [1, 50, 5, [0, 10, 20, 30, 40, 50]],
    [1, 7, 5, [0, 2, 4, 6, 8]],
    [-0.013, 0.021, 4, [-0.02, -0.01, 0, 0.01, 0.02, 0.03]],
    [0, 2.4, 5, [0, 0.5, 1, 1.5, 2, 2.5]],
    [0, 12, 5, [0, 2.5, 5, 7.5, 10, 12.5]],
    [100, 180, 4, [100, 120, 140, 160, 180]],
  ])('[%d, %d] in about %d steps → %j', (minimum, maximum, count, values) => {
    expect(niceTicks(minimum, maximum, count).values).toEqual(values);
  });

  it('widens an empty range around the value', () => {
    expect(niceTicks(0, 0).values).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(5, 5)).toMatchObject({ start: 4.4, end: 5.6, spacing: 0.2 });
    expect(niceTicks(-2, -2)).toMatchObject({ start: -2.2, end: -1.8 });
  });

  it('covers the data and starts and ends on multiples of the spacing', () => {
    for (const [minimum, maximum] of [
      [0.0001234, 0.000987],
      [3, 3000],
      [-7.5, 12.25],
      [1e-7, 3e-7],
    ] as const) {
      const ticks = niceTicks(minimum, maximum);
      expect(ticks.start).toBeLessThanOrEqual(minimum);
      expect(ticks.end).toBeGreaterThanOrEqual(maximum);
      expect(ticks.values.length).toBeGreaterThanOrEqual(3);
      expect(ticks.values.length).toBeLessThanOrEqual(12);
      expect(Math.abs(ticks.start / ticks.spacing - Math.round(ticks.start / ticks.spacing))).toBeLessThan(1e-6);
    }
  });

  it('rejects a non-finite or reversed range', () => {
    expect(() => niceTicks(Number.NaN, 1)).toThrow(/finite minimum <= maximum/);
    expect(() => niceTicks(2, 1)).toThrow(/got 2, 1/);
  });
});

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [12, '12'],
    [0.4213, '0.421'],
    [-0.5, '-0.5'],
    [0.0421, '0.0421'],
    [1.5e-6, '1.5e-6'],
    [0.00021, '2.1e-4'],
    [1e-6, '1e-6'],
    [234567, '2.3e+5'],
    [512.34, '512'],
    [99999, '99999'],
    [Number.NaN, 'NaN'],
  ])('%d → %s', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });
});
