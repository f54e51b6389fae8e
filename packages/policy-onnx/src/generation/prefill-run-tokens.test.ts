import { describe, expect, it } from 'vitest';
import { prefillRunTokens } from './prefill-run-tokens';

describe('prefillRunTokens', () => {
  it("left-pads each row's next piece after its real past slots; padding and unused slots are masked", () => {
    // row 0: 2 of 5 tokens cached, 3 new; row 1: nothing cached, 4 tokens, of which a 3-token chunk goes in
    const group = [
      { ids: [10, 11, 12, 13, 14], done: 2 },
      { ids: [20, 21, 22, 23], done: 0 },
    ];
    const { tokens, pieces } = prefillRunTokens(group, 3, 3, 2, [[0, 1], []]);
    expect(pieces).toEqual([3, 3]);
    expect(tokens.rows).toBe(2);
    expect(tokens.inputIds).toEqual([12, 13, 14, 20, 21, 22]);
    expect(tokens.positions).toEqual([2, 3, 4, 0, 1, 2]);
    expect(Array.from(tokens.mask)).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
  });

  it('a shorter piece is left-padded with id 0 at position 0, its padding masked', () => {
    const { tokens, pieces } = prefillRunTokens(
      [
        { ids: [7, 8, 9], done: 1 },
        { ids: [5, 6, 4, 3], done: 1 },
      ],
      3,
      4,
      1,
      [[0], [0]],
    );
    expect(pieces).toEqual([2, 3]);
    expect(tokens.inputIds).toEqual([0, 8, 9, 6, 4, 3]);
    expect(tokens.positions).toEqual([0, 1, 2, 1, 2, 3]);
    expect(Array.from(tokens.mask)).toEqual([1, 0, 1, 1, 1, 1, 1, 1]);
  });
});
