import type { Passage, Retriever } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The corpus every retriever is built over in the conformance suite (FlashRAG `"Title"\ntext` layout).
 *
 * - `zygomorphic` occurs only in `p03`: the obviously relevant passage for that term.
 * - `lighthouse` occurs in exactly `p04`, `p05`, `p06`.
 * - `twin-b` and `twin-a` have identical contents (the only passages with `quokka`), listed b before a,
 *   so any scorer gives them the same score and the tie rule alone orders them.
 * - `p10` has non-ASCII text (`Zürich`, `東京`).
 */
export const retrieverConformanceCorpus: readonly Passage[] = Object.freeze(
  [
    { id: 'p01', contents: '"Aurora"\nThe aurora glows green over the northern sky in winter.' },
    { id: 'p02', contents: '"Volcano"\nA volcano erupts molten rock, ash and gas from a magma chamber.' },
    { id: 'p03', contents: '"Zygomorphic flower"\nA zygomorphic flower has bilateral symmetry, like an orchid.' },
    { id: 'p04', contents: '"Eddystone Lighthouse"\nThe Eddystone lighthouse stands on rocks south of Plymouth.' },
    { id: 'p05', contents: '"Lighthouse keeper"\nA lighthouse keeper tended the lamp through the night.' },
    { id: 'p06', contents: '"Pharos"\nThe Pharos of Alexandria was an ancient lighthouse of Egypt.' },
    { id: 'twin-b', contents: '"Quokka"\nThe quokka is a small marsupial of Rottnest Island.' },
    { id: 'twin-a', contents: '"Quokka"\nThe quokka is a small marsupial of Rottnest Island.' },
    { id: 'p09', contents: '"Glacier"\nA glacier is a slow river of ice carving valleys.' },
    { id: 'p10', contents: '"Twin cities"\nZürich and 東京 are large cities with busy railway stations.' },
  ].map((passage) => Object.freeze(passage)),
);

export interface RetrieverConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /** Builds the retriever over the given passages (a fresh copy of {@link retrieverConformanceCorpus}). */
  createRetriever: (passages: Passage[]) => Promise<Retriever> | Retriever;
  /** Called once after the suite (close a server, free an index). */
  disposeRetriever?: (retriever: Retriever) => Promise<void> | void;
  /** When true, every returned passage must carry a finite numeric `score`. */
  supportsScores?: boolean;
}

/** One check of the suite; `run` throws (a vitest assertion error) when the retriever does not conform. */
export interface RetrieverConformanceCheck {
  name: string;
  run: (retriever: Retriever, options: { supportsScores: boolean }) => Promise<void>;
}

const corpusById = new Map(retrieverConformanceCorpus.map((passage) => [passage.id, passage]));

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Asserts the ordering rule on one result list: scores non-increasing, equal scores by id ascending. */
function expectOrdered(passages: readonly Passage[], label: string, supportsScores: boolean): void {
  if (supportsScores) {
    for (const passage of passages) {
      expect(Number.isFinite(passage.score), `${label}: passage ${passage.id} has no finite score`).toBe(true);
    }
  }
  for (let index = 1; index < passages.length; index += 1) {
    const previous = passages[index - 1]!;
    const current = passages[index]!;
    if (previous.score === undefined || current.score === undefined) continue;
    expect(
      current.score,
      `${label}: score at rank ${index} exceeds the one before (not best first)`,
    ).toBeLessThanOrEqual(previous.score);
    if (current.score === previous.score) {
      expect(
        compareIds(previous.id, current.id),
        `${label}: tied scores at ranks ${index - 1} and ${index} must be ordered by id ascending (${previous.id}, ${current.id})`,
      ).toBeLessThan(0);
    }
  }
}

/** Asserts every result passage is a corpus passage with the same id and contents, and no id repeats. */
function expectCorpusPassages(passages: readonly Passage[], label: string): void {
  const seen = new Set<string>();
  for (const passage of passages) {
    const original = corpusById.get(passage.id);
    expect(original, `${label}: passage id ${JSON.stringify(passage.id)} is not in the corpus`).toBeDefined();
    expect(passage.contents, `${label}: contents of ${passage.id} changed`).toBe(original!.contents);
    expect(seen.has(passage.id), `${label}: passage ${passage.id} returned twice`).toBe(false);
    seen.add(passage.id);
  }
}

function withoutScores(results: readonly Passage[][]): { id: string; contents: string }[][] {
  return results.map((list) => list.map((passage) => ({ id: passage.id, contents: passage.contents })));
}

/**
 * The checks, in order. Exported so that tests can run them against deliberately broken retrievers
 * (a suite that cannot fail proves nothing).
 *
 * Tie rule: passages with equal scores are ordered by id ascending, comparing ids as JavaScript
 * strings (`a < b`, UTF-16 code units — plain ASCII order for the ids here). Passages with identical
 * contents always tie.
 */
export const retrieverConformanceChecks: readonly RetrieverConformanceCheck[] = [
  {
    name: 'returns one result list per query, in query order',
    async run(retriever) {
      const results = await retriever.search(['zygomorphic', 'quokka', 'glacier'], 3);
      expect(results).toHaveLength(3);
      expect(results[0]![0]?.id).toBe('p03');
      expect(results[1]!.map((passage) => passage.id).slice(0, 2)).toEqual(['twin-a', 'twin-b']);
      expect(results[2]![0]?.id).toBe('p09');
      expect(await retriever.search([], 3)).toEqual([]);
    },
  },
  {
    name: 'ranks the obviously relevant passage (unique term) first',
    async run(retriever) {
      const [zygomorphic, volcano, aurora] = await retriever.search(
        ['the zygomorphic flower', 'a volcano of magma', 'the aurora in winter'],
        5,
      );
      expect(zygomorphic![0]?.id).toBe('p03');
      expect(volcano![0]?.id).toBe('p02');
      expect(aurora![0]?.id).toBe('p01');
    },
  },
  {
    name: 'orders results best first (scores non-increasing when present)',
    async run(retriever, { supportsScores }) {
      const queries = ['volcano magma ash glacier', 'the lighthouse keeper lamp', 'lighthouse', 'quokka'];
      const results = await retriever.search(queries, 10);
      results.forEach((list, index) => expectOrdered(list, `query ${JSON.stringify(queries[index])}`, supportsScores));
    },
  },
  {
    name: 'breaks ties by passage id ascending (identical passages twin-a before twin-b)',
    async run(retriever) {
      const [quokka] = await retriever.search(['quokka'], 2);
      expect(quokka!.map((passage) => passage.id)).toEqual(['twin-a', 'twin-b']);
      if (quokka![0]!.score !== undefined && quokka![1]!.score !== undefined) {
        expect(quokka![0]!.score).toBe(quokka![1]!.score);
      }
    },
  },
  {
    name: 'returns [] for an empty query and a whitespace-only query, without affecting the others',
    async run(retriever) {
      const results = await retriever.search(['', '   ', '\t\n', 'zygomorphic'], 5);
      expect(results).toHaveLength(4);
      expect(results[0]).toEqual([]);
      expect(results[1]).toEqual([]);
      expect(results[2]).toEqual([]);
      expect(results[3]![0]?.id).toBe('p03');
    },
  },
  {
    name: 'returns [] for every query when k = 0',
    async run(retriever) {
      expect(await retriever.search(['lighthouse', 'quokka'], 0)).toEqual([[], []]);
    },
  },
  {
    name: 'returns at most k passages',
    async run(retriever) {
      const [lighthouse] = await retriever.search(['lighthouse'], 2);
      expect(lighthouse).toHaveLength(2);
      const [one] = await retriever.search(['lighthouse'], 1);
      expect(one).toHaveLength(1);
    },
  },
  {
    name: 'returns every matching passage once when k exceeds the corpus',
    async run(retriever) {
      const [lighthouse] = await retriever.search(['lighthouse'], 1000);
      expectCorpusPassages(lighthouse!, 'k = 1000');
      expect(lighthouse!.length).toBeLessThanOrEqual(retrieverConformanceCorpus.length);
      const ids = lighthouse!.map((passage) => passage.id);
      expect(ids).toEqual(expect.arrayContaining(['p04', 'p05', 'p06']));
    },
  },
  {
    name: 'returns exact corpus passages (id and contents unchanged)',
    async run(retriever) {
      const queries = ['lighthouse', 'quokka marsupial', 'Zürich railway', 'ice'];
      const results = await retriever.search(queries, 10);
      results.forEach((list, index) => expectCorpusPassages(list, `query ${JSON.stringify(queries[index])}`));
      const [zurich] = await retriever.search(['Zürich 東京'], 1);
      expect(zurich![0]?.id).toBe('p10');
      expect(zurich![0]?.contents).toBe(corpusById.get('p10')!.contents);
    },
  },
  {
    name: 'gives a batch of queries the same results as the queries one by one',
    async run(retriever) {
      const queries = ['lighthouse', '', 'quokka', 'volcano ash', 'zygomorphic', 'lighthouse'];
      const batch = await retriever.search(queries, 4);
      const single: Passage[][] = [];
      for (const query of queries) single.push((await retriever.search([query], 4))[0]!);
      expect(withoutScores(batch)).toEqual(withoutScores(single));
    },
  },
  {
    name: 'is deterministic across repeated calls',
    async run(retriever) {
      const queries = ['the lighthouse', 'quokka', 'flower symmetry'];
      const first = await retriever.search(queries, 5);
      const second = await retriever.search(queries, 5);
      expect(second).toEqual(first);
    },
  },
  {
    name: 'does not throw on unicode queries',
    async run(retriever) {
      const queries = ['Zürich', '東京', '🙂🙂', 'القاهرة', 'e\u0301te\u0301', '\u0000', 'naïve café — “quotes”'];
      const results = await retriever.search(queries, 3);
      expect(results).toHaveLength(queries.length);
      results.forEach((list, index) => {
        expect(Array.isArray(list)).toBe(true);
        expectCorpusPassages(list, `query ${JSON.stringify(queries[index])}`);
      });
    },
  },
];

/**
 * The conformance suite every `Retriever` implementation runs (a vitest `describe` block). Call it at
 * the top level of a test file:
 *
 * ```ts
 * runRetrieverConformance({ name: 'flexsearch', createRetriever: (passages) => createFlexSearchRetriever(passages) });
 * ```
 *
 * The retriever is built once over a copy of {@link retrieverConformanceCorpus}; each check is one `it`.
 */
export function runRetrieverConformance(options: RetrieverConformanceOptions): void {
  describe(`${options.name}: Retriever conformance`, () => {
    let retriever: Retriever | undefined;
    beforeAll(async () => {
      retriever = await options.createRetriever(retrieverConformanceCorpus.map((passage) => ({ ...passage })));
    });
    afterAll(async () => {
      if (retriever !== undefined) await options.disposeRetriever?.(retriever);
    });
    it('declares specificationVersion v1 and a name', () => {
      expect(retriever!.specificationVersion).toBe('v1');
      expect(typeof retriever!.name).toBe('string');
      expect(retriever!.name.length).toBeGreaterThan(0);
    });
    for (const check of retrieverConformanceChecks) {
      it(check.name, () => check.run(retriever!, { supportsScores: options.supportsScores ?? false }));
    }
  });
}
