import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff-delay';

describe('backoffDelay', () => {
  it('doubles per retry up to the cap, with jitter between half and all of it', () => {
    const settings = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, { ...settings, random: () => 0.999999 }))).toEqual(
      [100, 200, 400, 800, 1000, 1000].map((ceiling) => ceiling * (0.5 + 0.5 * 0.999999)),
    );
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, { ...settings, random: () => 0 }))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect(backoffDelay(2, { ...settings, random: () => 0.5 })).toBe(300);
  });

  it.each([
    [0, { initialMs: 1000, factor: 2, maxMs: 30_000 }, 1000],
    [1, { initialMs: 1000, factor: 2, maxMs: 30_000 }, 2000],
    [4, { initialMs: 1000, factor: 2, maxMs: 30_000 }, 16_000],
    [5, { initialMs: 1000, factor: 2, maxMs: 30_000 }, 30_000],
    // ReSearch: a fixed 1 s sleep between tries.
    [3, { initialMs: 1000, factor: 1 }, 1000],
    [2, { initialMs: 0, factor: 2 }, 0],
    [10, { initialMs: 1 }, 1024],
  ])('retry %i with %j and no jitter waits %i ms', (retry, settings, expected) => {
    expect(backoffDelay(retry, settings)).toBe(expected);
  });
});
