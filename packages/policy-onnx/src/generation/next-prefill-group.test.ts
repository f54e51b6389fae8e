import { describe, expect, it } from 'vitest';
import { nextPrefillGroup } from './next-prefill-group';

const row = (length: number, done = 0) => ({ ids: Array.from({ length }, (_, index) => index), done });

describe('nextPrefillGroup', () => {
  it('packs rows in order while rows × longest piece fits the chunk', () => {
    const pending = [row(3), row(4), row(2), row(5)];
    // 1×3, 2×4 = 8, 3×4 = 12 fit 12; a fourth row would make 4×5 = 20
    expect(nextPrefillGroup(pending, 12)).toEqual({ group: pending.slice(0, 3), longest: 4 });
  });

  it('always takes the first row, cut to a piece of at most the chunk', () => {
    const pending = [row(40, 10), row(2)];
    expect(nextPrefillGroup(pending, 8)).toEqual({ group: [pending[0]], longest: 8 });
  });
});
