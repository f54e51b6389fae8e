import { describe, expect, it } from 'vitest';
import { selectTopDocuments } from './select-top-documents';

describe('selectTopDocuments', () => {
  const ids = ['d', 'b', 'c', 'a', 'e', '10', '9'];
  const scores = new Float64Array([1, 3, 3, 2, 0.5, 2, 2]);
  const all = new Int32Array([0, 1, 2, 3, 4, 5, 6]);

  it('orders by score descending, then id ascending (string order: "10" < "9" < "a")', () => {
    expect(selectTopDocuments(all, 7, 7, scores, ids).map((document) => ids[document])).toEqual([
      'b',
      'c',
      '10',
      '9',
      'a',
      'd',
      'e',
    ]);
  });

  it.each([1, 2, 3, 4, 5, 6])('keeps the first %i of that order (heap path)', (k) => {
    expect(selectTopDocuments(all, 7, k, scores, ids).map((document) => ids[document])).toEqual(
      ['b', 'c', '10', '9', 'a', 'd', 'e'].slice(0, k),
    );
  });

  it('reads only the first `count` candidates and handles k = 0', () => {
    expect(selectTopDocuments(all, 3, 10, scores, ids).map((document) => ids[document])).toEqual(['b', 'c', 'd']);
    expect(selectTopDocuments(all, 7, 0, scores, ids)).toEqual([]);
    expect(selectTopDocuments(all, 0, 3, scores, ids)).toEqual([]);
  });

  it('agrees with a full sort on random scores with many ties', () => {
    let state = 12345;
    const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const count = 500;
    const randomIds = Array.from({ length: count }, (_, index) => `id-${(index * 7919) % count}`);
    const randomScores = new Float64Array(count).map(() => Math.floor(random() * 20) / 4);
    const candidates = new Int32Array(count).map((_, index) => index);
    const sorted = Array.from(candidates).sort(
      (a, b) => randomScores[b]! - randomScores[a]! || (randomIds[a]! < randomIds[b]! ? -1 : 1),
    );
    for (const k of [1, 5, 37, 499, 500, 600]) {
      expect(selectTopDocuments(candidates, count, k, randomScores, randomIds)).toEqual(sorted.slice(0, k));
    }
  });
});
