import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerOptions } from './analyzer';
import { frequencySlots } from './backend/flexsearch';
import { defaultBm25Parameters } from './bm25';
import { IndexBuilder } from './index-builder';
import { seededRandom } from '../test/known-item-queries';

/** ASCII and non-ASCII passages, possessives, an empty one, and frequencies past the last slot. */
function mixedCorpus(): string[] {
  const random = seededRandom(21);
  const words = [
    'the',
    'lighthouse',
    'keeper',
    "keeper's",
    'Zürich',
    '東京',
    'ﬁle',
    'A1',
    'of',
    'e\u0301te\u0301',
    'rock',
    'Rocks',
  ];
  const passages = ['', '!!! ...', `"Echo"\n${'echo '.repeat(31)}${'Echo. '.repeat(40)}ÉCHO`, 'one two two'];
  for (let passage = 0; passage < 400; passage += 1) {
    const length = Math.floor(random() * 25);
    const picked: string[] = [];
    for (let index = 0; index < length; index += 1) picked.push(words[Math.floor(words.length * random() ** 2)]!);
    passages.push(picked.join(random() < 0.5 ? ' ' : ', '));
  }
  return passages;
}

describe('IndexBuilder', () => {
  it.each<[string, AnalyzerOptions]>([
    ['defaults (ASCII fast path)', {}],
    ['possessives kept (ASCII fast path)', { possessives: false }],
    ['stopwords and stemming (no fast path)', { stopwords: 'english', stemmer: 'light' }],
  ])('gives the postings, frequencies and lengths of a naive count over analyzer.terms: %s', (_, options) => {
    const analyzer = createAnalyzer(options);
    const passages = mixedCorpus();
    const builder = new IndexBuilder(analyzer, defaultBm25Parameters);
    passages.forEach((contents, index) => builder.add(`p${index}`, contents));
    expect(builder.positionOf('p3')).toBe(3);
    const data = builder.finish();

    const expected = new Map<string, Map<number, number>>();
    const lengths = passages.map((contents, document) => {
      const terms = analyzer.terms(contents);
      for (const term of terms) {
        if (!expected.has(term)) expected.set(term, new Map());
        const documents = expected.get(term)!;
        documents.set(document, (documents.get(document) ?? 0) + 1);
      }
      return terms.length;
    });
    expect([...data.documentLengths]).toEqual(lengths);
    expect(data.totalLength).toBe(lengths.reduce((sum, length) => sum + length, 0));
    expect(data.ids).toEqual(passages.map((_, index) => `p${index}`));
    expect(data.contents).toEqual(passages);

    for (const [term, documents] of expected) {
      const postingList = data.postings.lookup(term)!;
      const found = new Map<number, number>();
      postingList.slots.forEach((slotDocuments, slot) => {
        for (const document of slotDocuments ?? []) {
          found.set(
            document,
            slot === frequencySlots - 1 ? (postingList.overflow?.get(document) ?? frequencySlots) : slot + 1,
          );
        }
        // Each slot lists its documents in ascending order.
        expect([...(slotDocuments ?? [])]).toEqual([...(slotDocuments ?? [])].sort((a, b) => a - b));
      });
      expect({ term, found }).toEqual({ term, found: documents });
    }
    expect(data.postings.lookup('absent')).toBeUndefined();
  });

  it('keeps frequencies of 32 and more exactly (1 + 31 + 40 × "echo"; "ÉCHO" is the other term "écho")', () => {
    const builder = new IndexBuilder(createAnalyzer(), defaultBm25Parameters);
    builder.add('a', `"Echo"\n${'echo '.repeat(31)}${'Echo. '.repeat(40)}ÉCHO`);
    builder.add('b', 'echo '.repeat(32));
    builder.add('c', 'echo '.repeat(31));
    const { postings } = builder.finish();
    const postingList = postings.lookup('echo')!;
    expect(postingList.slots[frequencySlots - 1]).toEqual([0, 1]);
    expect(postingList.slots[30]).toEqual([2]);
    expect([...postingList.overflow!]).toEqual([
      [0, 72],
      [1, 32],
    ]);
    expect(postings.lookup('écho')!.slots).toEqual([[0]]);
  });
});
