import { describe, expect, it } from 'vitest';
import { competitionRanks, reciprocalRankFusion } from './reciprocal-rank-fusion';

describe('competitionRanks', () => {
  it.each([
    [4, undefined, [1, 2, 3, 4]],
    [4, [0.9, 0.5, 0.5, 0.1], [1, 2, 2, 4]],
    [4, [0.5, 0.5, 0.5, 0.5], [1, 1, 1, 1]],
    [3, [0.9, undefined, undefined], [1, 2, 3]],
  ] as const)('length %i, scores %j → %j', (length, scores, expected) => {
    expect(competitionRanks(length, scores)).toEqual(expected);
  });
});

describe('reciprocalRankFusion', () => {
  // Worked by hand from score(d) = Σ w / (k + rank), ranks 1-based.
  //   list A (w 1): x, y, z      list B (w 1): y, w, x       k = 60
  //   y: 1/62 + 1/61 = 0.032522…   x: 1/61 + 1/63 = 0.032266…
  //   w: 1/62 = 0.016129…          z: 1/63 = 0.015873…
  it('fuses two lists (k = 60, equal weights)', () => {
    const fused = reciprocalRankFusion(
      [
        { ids: ['x', 'y', 'z'], weight: 1 },
        { ids: ['y', 'w', 'x'], weight: 1 },
      ],
      60,
    );
    expect(fused.map((entry) => entry.id)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused.map((entry) => entry.score)).toEqual([1 / 61 + 1 / 62, 1 / 61 + 1 / 63, 1 / 62, 1 / 63]);
  });

  it.each([
    // k, weights, expected order, expected scores (hand-computed)
    [0, [1, 1], ['y', 'x', 'w', 'z'], [1 / 1 + 1 / 2, 1 / 1 + 1 / 3, 1 / 2, 1 / 3]],
    [1, [2, 1], ['x', 'y', 'z', 'w'], [2 / 2 + 1 / 4, 2 / 3 + 1 / 2, 2 / 4, 1 / 3]],
    [60, [0, 1], ['y', 'w', 'x', 'z'], [1 / 61, 1 / 62, 1 / 63, 0]],
  ] as const)('k = %i, weights %j → %j', (k, weights, order, scores) => {
    const fused = reciprocalRankFusion(
      [
        { ids: ['x', 'y', 'z'], weight: weights[0] },
        { ids: ['y', 'w', 'x'], weight: weights[1] },
      ],
      k,
    );
    expect(fused.map((entry) => entry.id)).toEqual(order);
    fused.forEach((entry, index) => expect(entry.score).toBeCloseTo(scores[index]!, 15));
  });

  it('orders equal fused scores by id ascending (a, b swapped between lists)', () => {
    // b: 1/61 + 1/62, a: 1/62 + 1/61 — the same sum, so the id rule orders them.
    const fused = reciprocalRankFusion(
      [
        { ids: ['b', 'a'], weight: 1 },
        { ids: ['a', 'b'], weight: 1 },
      ],
      60,
    );
    expect(fused).toEqual([
      { id: 'a', score: 1 / 61 + 1 / 62 },
      { id: 'b', score: 1 / 61 + 1 / 62 },
    ]);
  });

  it('gives passages a list scored equally the same rank', () => {
    const fused = reciprocalRankFusion([{ ids: ['twin-b', 'twin-a', 'c'], scores: [0.5, 0.5, 0.2], weight: 1 }], 60);
    expect(fused).toEqual([
      { id: 'twin-a', score: 1 / 61 },
      { id: 'twin-b', score: 1 / 61 },
      { id: 'c', score: 1 / 63 },
    ]);
  });

  it('counts a repeated id at its first rank only', () => {
    expect(reciprocalRankFusion([{ ids: ['a', 'b', 'a'], weight: 1 }], 60)).toEqual([
      { id: 'a', score: 1 / 61 },
      { id: 'b', score: 1 / 62 },
    ]);
  });

  it('fuses nothing into nothing', () => {
    expect(reciprocalRankFusion([], 60)).toEqual([]);
    expect(reciprocalRankFusion([{ ids: [], weight: 1 }], 60)).toEqual([]);
  });
});
