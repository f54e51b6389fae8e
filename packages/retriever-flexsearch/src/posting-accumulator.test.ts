import { describe, expect, it } from 'vitest';
import { frequencySlots } from './backend/flexsearch';
import { PostingAccumulator, type TermSlotLists } from './posting-accumulator';
import { seededRandom } from '../test/known-item-queries';

/** Slot lists with holes written as undefined, for comparison. */
function dense(lists: TermSlotLists[]): Array<Array<number[] | undefined>> {
  return lists.map((slots) => Array.from(slots, (documents) => documents));
}

describe('PostingAccumulator', () => {
  it('sorts postings by term into frequency slots, documents ascending (worked example)', () => {
    const accumulator = new PostingAccumulator();
    // document 0: term 0 once, term 1 twice; 1: term 1 once; 2: no term; 3: term 2 once, term 0 33 times
    expect(accumulator.add([0, 1], [1, 2], 2)).toBe(0);
    expect(accumulator.add([1], [1], 1)).toBe(1);
    expect(accumulator.add([], [], 0)).toBe(2);
    expect(accumulator.add([2, 0], [1, 33], 2)).toBe(3);
    expect(accumulator.documentCount).toBe(4);
    expect(frequencySlots).toBe(32);
    expect([...accumulator.overflow]).toEqual([[0, new Map([[3, 33]])]]);
    const term0: Array<number[] | undefined> = new Array(32).fill(undefined);
    term0[0] = [0];
    term0[31] = [3];
    expect(dense(accumulator.finish(4))).toStrictEqual([term0, [[1], [0]], [[3]], []]);
  });

  it('reads only the first `count` entries of the arrays it is given', () => {
    const accumulator = new PostingAccumulator();
    accumulator.add(new Int32Array([1, 0, 7]), new Uint32Array([3, 1, 9]), 2);
    expect(dense(accumulator.finish(2))).toStrictEqual([[[0]], [undefined, undefined, [0]]]);
  });

  it('matches a naive per-term, per-slot push over a random corpus (with growth and overflow)', () => {
    const random = seededRandom(11);
    const terms = 300;
    const accumulator = new PostingAccumulator();
    const expected: Array<Array<number[] | undefined>> = Array.from({ length: terms }, () => []);
    const overflow = new Map<number, Map<number, number>>();
    for (let document = 0; document < 3000; document += 1) {
      const counts = new Map<number, number>();
      const length = Math.floor(random() * 40);
      for (let index = 0; index < length; index += 1) {
        const term = Math.floor(terms * random() ** 3);
        counts.set(term, (counts.get(term) ?? 0) + (random() < 0.01 ? 40 : 1));
      }
      const numbers = [...counts.keys()];
      const frequencies = [...counts.values()];
      accumulator.add(numbers, frequencies, numbers.length);
      counts.forEach((frequency, term) => {
        const slot = Math.min(frequency, frequencySlots) - 1;
        const slots = expected[term]!;
        while (slots.length <= slot) slots.push(undefined);
        (slots[slot] ??= []).push(document);
        if (frequency >= frequencySlots) {
          if (!overflow.has(term)) overflow.set(term, new Map());
          overflow.get(term)!.set(document, frequency);
        }
      });
    }
    expect(accumulator.overflow).toEqual(overflow);
    expect(overflow.size).toBeGreaterThan(0);
    expect(dense(accumulator.finish(terms))).toStrictEqual(expected);
  });
});
