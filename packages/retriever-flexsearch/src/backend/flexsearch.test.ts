import { Index } from 'flexsearch';
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../analyzer';
import { defaultBm25Parameters } from '../bm25';
import { IndexBuilder } from '../index-builder';
import { seededRandom } from '../../test/known-item-queries';
import { FlexsearchPostings, frequencySlots } from './flexsearch';

/**
 * The reference: flexsearch's own `add`, one document at a time, each distinct term put in the slot of
 * its frequency by the `score` callback (how this package fed flexsearch before it imported postings).
 */
function exportAddedOneByOne(passages: readonly string[]): Array<[string, string]> {
  const analyzer = createAnalyzer();
  let pendingSlots: number[] = [];
  const index = new Index({
    encode: (content: string | readonly string[]) => (typeof content === 'string' ? [content] : (content as string[])),
    resolution: frequencySlots,
    score: (_terms: string[], _term: string, termIndex: number) => pendingSlots[termIndex]!,
    fastupdate: false,
    cache: false,
  });
  passages.forEach((contents, document) => {
    const counts = new Map<string, number>();
    for (const term of analyzer.terms(contents)) counts.set(term, (counts.get(term) ?? 0) + 1);
    pendingSlots = [...counts.values()].map((frequency) => Math.min(frequency, frequencySlots) - 1);
    if (counts.size > 0) index.add(document, [...counts.keys()] as unknown as string);
  });
  const chunks: Array<[string, string]> = [];
  index.export((key: string, data: string) => {
    chunks.push([key, data]);
  });
  return chunks;
}

describe('FlexsearchPostings.importPostings', () => {
  it("gives flexsearch the index its own add builds, byte for byte in flexsearch's export", () => {
    const random = seededRandom(8);
    const words = ['the', 'of', 'lighthouse', 'keeper', 'Zürich', 'rock', 'lamp', 'night', 'sea', 'ship'];
    const passages = ['', 'sea '.repeat(35), 'Zürich rock', '...'];
    for (let passage = 0; passage < 300; passage += 1) {
      const length = Math.floor(random() * 30);
      let text = '';
      for (let index = 0; index < length; index += 1) text += `${words[Math.floor(words.length * random() ** 2)]!} `;
      passages.push(text + `unique${passage}`);
    }
    const builder = new IndexBuilder(createAnalyzer(), defaultBm25Parameters);
    passages.forEach((contents, index) => builder.add(String(index), contents));
    const chunks = builder.finish().postings.exportChunks();
    expect(chunks.at(-1)).toEqual(['research-ts.frequency-overflow', JSON.stringify([['sea', [[1, 35]]]])]);
    const reference = exportAddedOneByOne(passages);
    expect(reference.map(([key]) => key)).toEqual(['1.reg', '1.map']);
    expect(chunks.slice(0, -1)).toEqual(reference);
  });

  it('answers lookups from the imported lists, and keeps overflow frequencies per term', () => {
    const postings = new FlexsearchPostings();
    postings.importPostings(
      [0, 2, 5],
      [
        ['lamp', [[0, 5], undefined, [2]]],
        ['sea', [undefined, [2], ...new Array<undefined>(29), [5]]],
      ],
      new Map([['sea', new Map([[5, 40]])]]),
    );
    expect(postings.lookup('lamp')!.slots).toEqual([[0, 5], undefined, [2]]);
    expect(postings.lookup('lamp')!.overflow).toBeUndefined();
    expect(postings.lookup('sea')!.slots[31]).toEqual([5]);
    expect(postings.lookup('sea')!.overflow).toEqual(new Map([[5, 40]]));
    expect(postings.lookup('ship')).toBeUndefined();
  });
});
