import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/known-item-queries';
import { PostingBlockReader, encodePostingBlocks, postingBlockSize, unstoredFrequency } from './posting-blocks';

/** `count` ascending documents with gaps up to `largestGap` and frequencies up to `largestFrequency`. */
function postings(count: number, largestGap: number, largestFrequency: number, seed: number) {
  const random = seededRandom(seed);
  const documents = new Int32Array(count);
  const frequencies = new Uint32Array(count);
  let document = -1;
  for (let index = 0; index < count; index += 1) {
    document += 1 + Math.floor(random() ** 4 * largestGap);
    documents[index] = document;
    frequencies[index] = 1 + Math.floor(random() ** 6 * (largestFrequency - 1));
  }
  return { documents, frequencies };
}

/** Passage lengths for documents up to `largest`: 1 … 99, with some past the 16-bit field. */
function lengths(largest: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: largest + 1 }, () => (random() < 0.01 ? 70_000 : 1 + Math.floor(random() * 99)));
}

describe('bit-packed posting blocks', () => {
  it.each([
    ['one posting', 1, 1, 1],
    ['a full block of consecutive documents, frequency 1 (0-bit widths)', postingBlockSize, 0, 1],
    ['a partial last block', 3 * postingBlockSize + 5, 40, 7],
    ['wide gaps and frequencies', 2 * postingBlockSize + 1, 2 ** 23, 2 ** 31],
  ])('round-trips %s, and each frequency reads alone', (_, count, largestGap, largestFrequency) => {
    const { documents, frequencies } = postings(count, largestGap, largestFrequency, count);
    const documentLengths = lengths(documents[count - 1]!, count);
    const words = encodePostingBlocks(documents, frequencies, count, documentLengths).slice();
    const reader = new PostingBlockReader();
    reader.reset(words);
    expect(reader.blockCount).toBe(Math.ceil(count / postingBlockSize));
    const decodedDocuments: number[] = [];
    const decodedFrequencies: number[] = [];
    const readAlone: number[] = [];
    for (let block = 0; block < reader.blockCount; block += 1) {
      const size = reader.decodeDocuments(block);
      for (let index = 0; index < size; index += 1) readAlone.push(reader.frequencyAt(index));
      expect(reader.decode(block)).toBe(size);
      decodedDocuments.push(...reader.documents.subarray(0, size));
      decodedFrequencies.push(...reader.frequencies.subarray(0, size));
      expect(reader.lastDocument(block)).toBe(decodedDocuments.at(-1));
      // The block maxima: the highest frequency (or the marker past 16 bits), the shortest length (capped).
      const blockFrequencies = [...reader.frequencies.subarray(0, size)];
      const blockLengths = [...reader.documents.subarray(0, size)].map((document) => documentLengths[document]!);
      const highest = Math.max(...blockFrequencies);
      expect(reader.blockMaxima(block) & 0xffff).toBe(Math.min(highest, unstoredFrequency));
      expect(reader.blockMaxima(block) >>> 16).toBe(Math.min(...blockLengths, 0xffff));
    }
    expect(decodedDocuments).toEqual([...documents]);
    expect(decodedFrequencies).toEqual([...frequencies]);
    expect(readAlone).toEqual([...frequencies]);
  });

  it('a list cut short is a RangeError, not a wrong answer', () => {
    const { documents, frequencies } = postings(300, 1000, 5, 1);
    const words = encodePostingBlocks(documents, frequencies, 300, lengths(documents[299]!, 1)).slice();
    const reader = new PostingBlockReader();
    reader.reset(words.subarray(0, words.length - 3));
    expect(() => reader.decode(reader.blockCount - 1)).toThrow(RangeError);
    expect(() => reader.reset(words.subarray(0, 2))).toThrow(RangeError);
  });
});
