import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { plainTerms, ReferenceBm25 } from '../test/reference-bm25';
import { seededRandom } from '../test/known-item-queries';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';

const corpus = [
  { id: 'aurora', contents: '"Aurora"\nThe aurora glows green over the northern sky in winter.' },
  {
    id: 'volcano',
    contents: '"Volcano"\nA volcano erupts molten rock, ash and gas from a magma chamber under the volcano.',
  },
  { id: 'glacier', contents: '"Glacier"\nA glacier is a slow river of ice carving valleys.' },
  {
    id: 'lighthouse',
    contents: '"Lighthouse"\nThe lighthouse keeper tended the lamp of the lighthouse through the night.',
  },
  { id: 'iceland', contents: '"Iceland"\nIceland has a glacier on a volcano, and ice over magma.' },
  { id: 'empty', contents: '' },
];

describe('BM25 scores', () => {
  // Plain analysis on both sides (no possessives in this text), so the reference sees the same terms.
  const retriever = createFlexsearchRetriever(corpus);
  const reference = new ReferenceBm25(corpus);

  it('match a hand-worked value', async () => {
    // "glacier" is in 2 of 6 passages: idf = ln(1 + 4.5 / 2.5) = ln 2.8. Passage lengths (terms, title
    // included): aurora 11, volcano 16, glacier 11, lighthouse 13, iceland 12, empty 0 → avgdl 63 / 6.
    // tf: 2 in "glacier" (title and text), 1 in "iceland".
    const idf = Math.log(2.8);
    const averageLength = 63 / 6;
    const glacier = (idf * 2 * 1.9) / (2 + 0.9 * (0.6 + (0.4 * 11) / averageLength));
    const iceland = (idf * 1 * 1.9) / (1 + 0.9 * (0.6 + (0.4 * 12) / averageLength));
    const [results] = await retriever.search(['glacier'], 10);
    expect(results!.map((passage) => passage.id)).toEqual(['glacier', 'iceland']);
    expect(results![0]!.score).toBeCloseTo(glacier, 12);
    expect(results![1]!.score).toBeCloseTo(iceland, 12);
    expect(retriever.stats).toEqual({ passages: 6, totalTerms: 63, averagePassageLength: 63 / 6 });
  });

  it('equal the reference BM25 for every passage (1e-9), multi-word queries matching any term', async () => {
    const queries = [
      'volcano magma',
      'ice glacier volcano lighthouse',
      'the',
      'green lamp valleys',
      'the the volcano',
      'nothing here',
    ];
    const results = await retriever.search(queries, 100);
    queries.forEach((query, index) => {
      const expected = reference.search(query, 100);
      expect(
        results[index]!.map((passage) => passage.id),
        query,
      ).toEqual(expected.map((passage) => passage.id));
      results[index]!.forEach((passage, rank) =>
        expect(Math.abs(passage.score! - expected[rank]!.score)).toBeLessThan(1e-9),
      );
    });
    // OR semantics: each passage holding any of the words is found.
    expect(results[1]!.map((passage) => passage.id).sort()).toEqual(['glacier', 'iceland', 'lighthouse', 'volcano']);
    expect(results[2]!.map((passage) => passage.id).sort()).toEqual(['aurora', 'lighthouse', 'volcano']);
    expect(results[3]!.map((passage) => passage.id).sort()).toEqual(['aurora', 'glacier', 'lighthouse']);
  });

  it('counts a repeated query term once per repeat', async () => {
    const [once, twice] = await retriever.search(['lighthouse', 'lighthouse Lighthouse'], 1);
    expect(twice![0]!.score).toBeCloseTo(2 * once![0]!.score!, 12);
  });

  it('keeps exact frequencies past the flexsearch slots (a term repeated 40 and 100 times)', async () => {
    const repeated = [
      { id: 'r40', contents: `${'echo '.repeat(40)}canyon` },
      { id: 'r100', contents: `${'echo '.repeat(100)}canyon wall` },
      { id: 'r3', contents: 'echo echo echo canyon' },
      { id: 'r31', contents: `${'echo '.repeat(31)}` },
      { id: 'r32', contents: `${'echo '.repeat(32)}` },
    ];
    const results = (await createFlexsearchRetriever(repeated).search(['echo canyon'], 10))[0]!;
    const expected = new ReferenceBm25(repeated).search('echo canyon', 10);
    expect(results.map((passage) => passage.id)).toEqual(expected.map((passage) => passage.id));
    results.forEach((passage, rank) => expect(Math.abs(passage.score! - expected[rank]!.score)).toBeLessThan(1e-9));
  });

  it('uses the given k1 and b', async () => {
    const tuned = createFlexsearchRetriever(corpus, { bm25: { k1: 1.2, b: 0.75 } });
    const tunedReference = new ReferenceBm25(corpus, { k1: 1.2, b: 0.75, terms: plainTerms });
    const [results] = await tuned.search(['volcano ice'], 3);
    const expected = tunedReference.search('volcano ice', 3);
    results!.forEach((passage, rank) => expect(passage.score).toBeCloseTo(expected[rank]!.score, 12));
    expect(tuned.bm25).toEqual({ k1: 1.2, b: 0.75 });
  });
});

describe('top-k with pruning equals the full BM25 ranking', () => {
  it('finds a passage that holds only the lower-weight terms, many times', async () => {
    // "zebra" (one passage, twice) has the largest bound and is scored first; "heavy" holds no zebra but
    // alpha and beta 20 times each, and must still win k = 1.
    const passages = [
      { id: 'rare', contents: 'a zebra, zebra grazing on the open plain' },
      { id: 'heavy', contents: `${'alpha beta '.repeat(20)}` },
      ...Array.from({ length: 4 }, (_, index) => ({ id: `mixed-${index}`, contents: 'alpha beta gamma delta' })),
      ...Array.from({ length: 46 }, (_, index) => ({ id: `filler-${index}`, contents: `filler text number ${index}` })),
    ];
    const expected = new ReferenceBm25(passages).search('zebra alpha beta', 3);
    expect(expected[0]!.id).toBe('heavy');
    const results = (await createFlexsearchRetriever(passages).search(['zebra alpha beta'], 1))[0]!;
    expect(results.map((passage) => passage.id)).toEqual(['heavy']);
    expect(results[0]!.score).toBeCloseTo(expected[0]!.score, 12);
  });

  it('over a seeded Zipf-like corpus, for k = 1, 3, 10 (ids, order and scores)', async () => {
    const random = seededRandom(2024);
    const vocabulary = Array.from({ length: 400 }, (_, index) => `w${index}`);
    const word = () => vocabulary[Math.min(399, Math.floor(1 / (random() + 0.0025)) - 1)]!;
    const passages = Array.from({ length: 400 }, (_, index) => ({
      id: `p${String(index).padStart(3, '0')}`,
      contents: Array.from({ length: 5 + Math.floor(random() * 40) }, word).join(' '),
    }));
    const retriever = createFlexsearchRetriever(passages);
    const reference = new ReferenceBm25(passages);
    const queries = Array.from({ length: 60 }, () =>
      Array.from({ length: 1 + Math.floor(random() * 6) }, word).join(' '),
    );
    for (const k of [1, 3, 10]) {
      const results = await retriever.search(queries, k);
      queries.forEach((query, index) => {
        const expected = reference.search(query, k);
        expect(
          results[index]!.map((passage) => passage.id),
          `${query} k=${k}`,
        ).toEqual(expected.map((passage) => passage.id));
        results[index]!.forEach((passage, rank) =>
          expect(Math.abs(passage.score! - expected[rank]!.score)).toBeLessThan(1e-9),
        );
      });
    }
  });
});

describe('search', () => {
  const retriever = createFlexsearchRetriever(corpus, { name: 'test-index' });

  it('matches across Unicode forms and case', async () => {
    const unicode = createFlexsearchRetriever([
      { id: 'nfc', contents: 'Caf\u00e9 in Z\u00fcrich' },
      { id: 'greek', contents: 'ΑΘΗΝΑ' },
    ]);
    const [cafe, greek] = await unicode.search(['CAFE\u0301', 'αθηνα'], 5);
    expect(cafe!.map((passage) => passage.id)).toEqual(['nfc']);
    expect(greek!.map((passage) => passage.id)).toEqual(['greek']);
  });

  it('returns exact passages with a score, and names itself', async () => {
    const [results] = await retriever.search(['erupts'], 1);
    expect(results![0]).toEqual({ id: 'volcano', contents: corpus[1]!.contents, score: expect.any(Number) });
    expect(retriever.name).toBe('test-index');
    expect(retriever.specificationVersion).toBe('v1');
    expect(retriever.analyze("Iceland's ice")).toEqual(['iceland', 'ice']);
  });

  it('rejects a bad k or query with InvalidInputError', async () => {
    await expect(retriever.search(['ice'], -1)).rejects.toThrow(
      new InvalidInputError('expected a non-negative integer, got -1', { field: 'k' }),
    );
    await expect(retriever.search(['ice'], 1.5)).rejects.toThrow('field "k": expected a non-negative integer, got 1.5');
    await expect(retriever.search(['ice', 3 as never], 1)).rejects.toThrow(
      'field "queries.1": expected a string, got number',
    );
  });

  it('rejects when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(retriever.search(['ice'], 1, { signal: controller.signal })).rejects.toThrow('stop');
  });
});

describe('createFlexsearchRetriever input checks', () => {
  it('stores numeric ids as strings', async () => {
    const retriever = createFlexsearchRetriever([{ id: 7, contents: 'seven' }]);
    expect((await retriever.search(['seven'], 1))[0]![0]!.id).toBe('7');
  });

  it.each([
    [
      [
        { id: 'a', contents: 'x' },
        { id: 'a', contents: 'y' },
      ],
      'field "passages.1.id": duplicate id "a" (also passage 0)',
    ],
    [
      [
        { id: 'a', contents: 'x' },
        { id: 'a', contents: 'y' },
      ].map((passage, index) => (index === 0 ? passage : { ...passage, id: '' })),
      'field "passages.1.id": expected a non-empty string or a finite number, got an empty string',
    ],
    [[{ id: null, contents: 'x' }], 'field "passages.0.id": expected a non-empty string or a finite number, got null'],
    [
      [{ id: Number.NaN, contents: 'x' }],
      'field "passages.0.id": expected a non-empty string or a finite number, got NaN',
    ],
    [[{ id: 'a', contents: 5 }], 'field "passages.0.contents": expected a string, got 5'],
    [[{ id: 'a' }], 'field "passages.0.contents": expected a string, got nothing'],
    [['text'], 'field "passages.0": expected an object with "id" and "contents"'],
  ])('%j', (passages, message) => {
    expect(() => createFlexsearchRetriever(passages as never)).toThrow(message);
    try {
      createFlexsearchRetriever(passages as never);
    } catch (error) {
      expect(InvalidInputError.isInstance(error)).toBe(true);
    }
  });

  it('indexes an empty corpus that finds nothing', async () => {
    expect(await createFlexsearchRetriever([]).search(['anything'], 5)).toEqual([[]]);
  });
});
