import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/known-item-queries';
import { encodePostingBlocks, postingBlockSize } from './posting-blocks';
import { PostingCursor, endOfPostings, type LengthNormScale } from './posting-cursor';

/** A list of `count` postings over `passages` passages, with lengths, and the scale of its norms. */
function postingList(count: number, passages: number, seed: number) {
  const random = seededRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * passages));
  const documents = Int32Array.from([...chosen].sort((a, b) => a - b));
  const frequencies = Uint32Array.from(documents, () => 1 + Math.floor(random() ** 4 * 20));
  const lengths = Uint32Array.from({ length: passages }, () => 20 + Math.floor(random() * 200));
  const averageLength = lengths.reduce((sum, length) => sum + length, 0) / passages;
  const k1 = 0.9;
  const b = 0.4;
  const norms = Float64Array.from(lengths, (length) => k1 * (1 - b + (b * length) / averageLength));
  const scale: LengthNormScale = { k1, b, averageLength, smallestNorm: Math.min(...norms) };
  const words = encodePostingBlocks(documents, frequencies, count, lengths).slice();
  return { documents, frequencies, norms, scale, words };
}

const weight = 2.5;
const highest = 20;

describe('PostingCursor', () => {
  it('advance, skipTo and materialize land on the first posting ≥ the target; block bounds hold', () => {
    const { documents, frequencies, norms, scale, words } = postingList(1000, 20_000, 5);
    const cursor = new PostingCursor();
    const random = seededRandom(6);
    for (let round = 0; round < 20; round += 1) {
      cursor.reset(words, true, weight, highest, scale, 'list');
      let target = 0;
      while (target < 21_000) {
        target += Math.floor(random() ** 3 * 3000);
        const bound = cursor.blockBound(target);
        if (random() < 0.5) {
          cursor.skipTo(target);
          if (cursor.pending) expect(cursor.document).toBe(target);
          cursor.materialize();
        } else cursor.advance(target);
        const index = documents.findIndex((document) => document >= target);
        if (index < 0) {
          expect(cursor.document).toBe(endOfPostings);
          expect(bound).toBe(0);
          continue;
        }
        expect(cursor.document).toBe(documents[index]);
        const score = cursor.score(norms);
        expect(score).toBe((weight * frequencies[index]!) / (frequencies[index]! + norms[documents[index]!]!));
        expect(bound).toBeGreaterThanOrEqual(score);
        expect(bound).toBeLessThanOrEqual((weight * highest) / (highest + scale.smallestNorm));
        if (random() < 0.3) {
          cursor.next();
          expect(cursor.document).toBe(documents[index + 1] ?? endOfPostings);
          target = cursor.document;
        }
      }
    }
  });

  it('next walks every posting in order; rewind starts over', () => {
    const { documents, words, scale } = postingList(3 * postingBlockSize + 7, 1000, 7);
    const cursor = new PostingCursor();
    cursor.reset(words, true, weight, highest, scale, 'list');
    for (const pass of [0, 1]) {
      const seen: number[] = [];
      for (; cursor.document !== endOfPostings; cursor.next()) seen.push(cursor.document);
      expect(seen, `pass ${pass}`).toEqual([...documents]);
      cursor.rewind();
    }
  });

  it.each([
    ['a highest frequency stored too low', (maxima: number) => (maxima & 0xffff0000) | 1],
    ['a shortest length stored too high', (maxima: number) => (maxima & 0xffff) | (0xfff0 << 16)],
  ])('block maxima that a posting exceeds (%s) are a RangeError naming the list, not a wrong answer', (_, forge) => {
    const { words, scale, norms } = postingList(200, 5000, 8);
    const blockCount = words[0]!;
    for (let block = 0; block < blockCount; block += 1) {
      const at = 1 + 2 * blockCount + block;
      words[at] = forge(words[at]!) >>> 0;
    }
    const cursor = new PostingCursor();
    cursor.reset(words, true, weight, highest, scale, 'the postings at byte 96');
    const scoreAll = (): void => {
      for (; cursor.document !== endOfPostings; cursor.next()) cursor.score(norms);
    };
    expect(scoreAll).toThrow(RangeError);
    cursor.rewind();
    expect(scoreAll).toThrow(
      /the postings at byte 96: posting block \d+: passage \d+ .*outside the block's stored maxima/,
    );
  });

  it("a list without maxima (format version 1) bounds every block by the term's highest frequency", () => {
    const { words, scale } = postingList(300, 3000, 9);
    const cursor = new PostingCursor();
    cursor.reset(words, false, weight, highest, scale, 'list');
    expect(cursor.blockBound(0)).toBe((weight * highest) / (highest + scale.smallestNorm));
  });
});
