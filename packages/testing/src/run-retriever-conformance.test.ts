import type { Passage, Retriever } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockRetriever } from './mock-retriever';
import { retrieverConformanceChecks, retrieverConformanceCorpus } from './run-retriever-conformance';

/** A retriever that post-processes MockRetriever's answers to break one rule. */
function brokenRetriever(
  transform: (results: Passage[][], queries: readonly string[], k: number) => Passage[][],
): Retriever {
  const inner = new MockRetriever(retrieverConformanceCorpus);
  return {
    specificationVersion: 'v1',
    name: 'broken',
    async search(queries, k) {
      return transform(await inner.search(queries, k), queries, k);
    },
  };
}

function check(name: string) {
  const found = retrieverConformanceChecks.find((candidate) => candidate.name.startsWith(name));
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

describe('retrieverConformanceChecks', () => {
  it('all pass on MockRetriever', async () => {
    const retriever = new MockRetriever(retrieverConformanceCorpus);
    for (const candidate of retrieverConformanceChecks) await candidate.run(retriever, { supportsScores: true });
  });

  it('fail a retriever that orders worst first', async () => {
    const retriever = brokenRetriever((results) => results.map((list) => [...list].reverse()));
    await expect(check('orders results best first').run(retriever, { supportsScores: true })).rejects.toThrow(
      'exceeds the one before',
    );
    await expect(check('ranks the obviously relevant').run(retriever, { supportsScores: true })).rejects.toThrow();
  });

  it('fail a retriever that breaks ties by id descending', async () => {
    const retriever = brokenRetriever((results) =>
      results.map((list) => [...list].sort((a, b) => b.score! - a.score! || (a.id < b.id ? 1 : -1))),
    );
    await expect(check('breaks ties by passage id').run(retriever, { supportsScores: true })).rejects.toThrow();
    await expect(check('orders results best first').run(retriever, { supportsScores: true })).rejects.toThrow(
      'must be ordered by id ascending',
    );
  });

  it('fail a retriever that returns passages without scores when scores are required', async () => {
    const retriever = brokenRetriever((results) =>
      results.map((list) => list.map(({ id, contents }) => ({ id, contents }))),
    );
    await expect(check('orders results best first').run(retriever, { supportsScores: true })).rejects.toThrow(
      'has no finite score',
    );
    await check('orders results best first').run(retriever, { supportsScores: false });
  });

  it('fail a retriever that answers a whitespace query', async () => {
    const inner = new MockRetriever(retrieverConformanceCorpus);
    const retriever: Retriever = {
      specificationVersion: 'v1',
      name: 'whitespace-matches-all',
      async search(queries, k) {
        return Promise.all(
          queries.map(async (query) =>
            query.trim() === '' && query !== ''
              ? retrieverConformanceCorpus.slice(0, k)
              : (await inner.search([query], k))[0]!,
          ),
        );
      },
    };
    await expect(check('returns [] for an empty query').run(retriever, { supportsScores: false })).rejects.toThrow();
  });

  it('fail a retriever that ignores k', async () => {
    const inner = new MockRetriever(retrieverConformanceCorpus);
    const retriever: Retriever = {
      specificationVersion: 'v1',
      name: 'ignores-k',
      search: (queries) => inner.search(queries, 100),
    };
    await expect(
      check('returns [] for every query when k = 0').run(retriever, { supportsScores: false }),
    ).rejects.toThrow();
    await expect(check('returns at most k passages').run(retriever, { supportsScores: false })).rejects.toThrow();
  });

  it('fail a retriever that duplicates or rewrites passages', async () => {
    const duplicating = brokenRetriever((results) => results.map((list) => [...list, ...list]));
    await expect(
      check('returns every matching passage once').run(duplicating, { supportsScores: true }),
    ).rejects.toThrow('returned twice');
    const rewriting = brokenRetriever((results) =>
      results.map((list) => list.map((passage) => ({ ...passage, contents: passage.contents.trim().toLowerCase() }))),
    );
    await expect(check('returns exact corpus passages').run(rewriting, { supportsScores: true })).rejects.toThrow(
      'contents of',
    );
  });

  it('fail a retriever whose batch answers differ from single answers', async () => {
    // Answers only the first query of a batch; the others get [].
    const retriever = brokenRetriever((results) => results.map((list, index) => (index === 0 ? list : [])));
    await expect(check('gives a batch of queries').run(retriever, { supportsScores: true })).rejects.toThrow();
    await expect(check('returns one result list per query').run(retriever, { supportsScores: true })).rejects.toThrow();
  });

  it('fail a retriever that throws on non-ASCII queries', async () => {
    const retriever = brokenRetriever((results, queries) => {
      if (queries.some((query) => /[^\x00-\x7f]/.test(query))) throw new Error('cannot encode');
      return results;
    });
    await expect(check('does not throw on unicode queries').run(retriever, { supportsScores: true })).rejects.toThrow(
      'cannot encode',
    );
  });

  it('fail a nondeterministic retriever', async () => {
    let call = 0;
    const retriever = brokenRetriever((results) => {
      call += 1;
      return call % 2 === 0 ? results.map((list) => list.slice(1)) : results;
    });
    await expect(check('is deterministic').run(retriever, { supportsScores: true })).rejects.toThrow();
  });
});
