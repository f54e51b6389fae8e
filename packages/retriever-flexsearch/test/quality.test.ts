import { describe, expect, it } from 'vitest';
import { indexCorpusFile } from '../src/index';
import { deriveKnownItemQueries, recallAt } from './known-item-queries';
import { ReferenceBm25 } from './reference-bm25';
import { readCorpus, sharedSampleCorpusPath } from './shared-corpus';

const corpusPath = sharedSampleCorpusPath(import.meta.dirname);

describe('ranking quality on the FlashRAG 1000-passage sample corpus', () => {
  it('recall@5 on seeded known-item queries is not below a plain BM25 (k1 0.9, b 0.4)', async () => {
    const passages = readCorpus(corpusPath);
    expect(passages).toHaveLength(1000);
    const { retriever, passages: indexed, skipped } = await indexCorpusFile(corpusPath);
    expect({ indexed, skipped }).toEqual({ indexed: 1000, skipped: 0 });

    // Hard queries: a sentence window with 70% of its words dropped.
    const queries = deriveKnownItemQueries(passages, { count: 300, seed: 20250101, dropRate: 0.7 });
    expect(queries).toHaveLength(300);
    const reference = new ReferenceBm25(passages);
    const referenceResults = queries.map(({ query }) => reference.search(query, 5));
    const results = await retriever.search(
      queries.map(({ query }) => query),
      5,
    );
    const ours = { recall1: recallAt(1, queries, results), recall5: recallAt(5, queries, results) };
    const plain = { recall1: recallAt(1, queries, referenceResults), recall5: recallAt(5, queries, referenceResults) };
    expect(ours.recall5).toBeGreaterThanOrEqual(plain.recall5);
    expect(ours.recall5).toBeGreaterThan(0.8);
  });
});
