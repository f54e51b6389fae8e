import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError, type Passage } from '@research-ts/spec';
import { MockRetriever, retrieverConformanceCorpus, runRetrieverConformance } from '@research-ts/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { matrixEmbedder, randomVectors, referenceSearch } from '../test/matrix-embedder';
import { temporaryDirectory } from '../test/temporary-directory';
import { prefixVocabulary, writeTinyModelDirectory } from '../test/tiny-encoder';
import { createDenseRetriever } from './create-dense-retriever';
import { createHybridRetriever } from './create-hybrid-retriever';
import type { DenseRetriever } from './dense-retriever';
import { e5Conventions } from './embedding-conventions';
import type { EmbeddingModel } from './embedding-model';
import { loadDenseRetriever } from './load-dense-retriever';
import { loadEmbeddingModel } from './load-embedding-model';
import { normalizeRows } from './pool-hidden-states';

// One tiny E5-style model for the conformance suites, built on first use.
let tinyModel: Promise<{ model: EmbeddingModel; remove: () => Promise<void> }> | undefined;
function conformanceModel(): Promise<EmbeddingModel> {
  tinyModel ??= (async () => {
    const directory = await temporaryDirectory('conformance');
    await writeTinyModelDirectory(join(directory.path, 'model'), {
      corpus: [...retrieverConformanceCorpus.map((passage) => passage.contents), ...prefixVocabulary],
      hidden: 128,
      seed: 7,
    });
    const model = await loadEmbeddingModel(join(directory.path, 'model'), { ...e5Conventions });
    return { model, remove: directory.remove };
  })();
  return tinyModel.then(({ model }) => model);
}
afterAll(async () => {
  if (tinyModel === undefined) return;
  const { model, remove } = await tinyModel;
  await model.dispose();
  await remove();
});

runRetrieverConformance({
  name: 'dense exact (tiny random E5-style encoder)',
  createRetriever: async (passages) => createDenseRetriever({ model: await conformanceModel(), passages }),
  disposeRetriever: (retriever) => (retriever as Awaited<ReturnType<typeof createDenseRetriever>>).dispose(),
  supportsScores: true,
});

runRetrieverConformance({
  name: 'dense hnsw (tiny random E5-style encoder)',
  createRetriever: async (passages) =>
    createDenseRetriever({ model: await conformanceModel(), passages, index: 'hnsw' }),
  supportsScores: true,
});

// Saved and loaded: the passages are read from passages.jsonl by offset.
const savedFolders: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(savedFolders.map((remove) => remove()));
});
runRetrieverConformance({
  name: 'dense hnsw, saved and loaded (tiny random E5-style encoder)',
  createRetriever: async (passages) => {
    const model = await conformanceModel();
    const built = await createDenseRetriever({ model, passages, index: 'hnsw' });
    const directory = await temporaryDirectory('conformance-saved');
    savedFolders.push(directory.remove);
    await built.save(directory.path);
    await built.dispose();
    return loadDenseRetriever(directory.path, model);
  },
  disposeRetriever: (retriever) => (retriever as DenseRetriever).dispose(),
  supportsScores: true,
});

runRetrieverConformance({
  name: 'hybrid RRF of dense exact and MockRetriever',
  createRetriever: async (passages) =>
    createHybridRetriever(
      new MockRetriever(passages),
      await createDenseRetriever({ model: await conformanceModel(), passages }),
    ),
  supportsScores: true,
});

const ids = (results: Passage[]) => results.map((passage) => passage.id);

describe('createDenseRetriever: search', () => {
  const dimension = 24;
  const count = 400;
  const corpus = randomVectors(1, count, dimension);
  const queries = randomVectors(2, 20, dimension);
  // ids in reverse order of their rows, so the id order and the row order differ
  const passageIds = Array.from({ length: count }, (_, index) => `doc-${String(count - index).padStart(4, '0')}`);
  const passages = passageIds.map((id) => ({ id, contents: `contents of ${id}` }));

  it.each(['exact', 'hnsw'] as const)(
    '%s matches a brute-force reference (ids and float32 scores exactly)',
    async (index) => {
      const retriever = await createDenseRetriever({
        model: matrixEmbedder(queries, dimension),
        passages,
        embeddings: corpus,
        index,
      });
      const results = await retriever.search(
        Array.from({ length: 20 }, (_, query) => `q${query}`),
        10,
      );
      results.forEach((list, query) => {
        const expected = referenceSearch(
          passageIds,
          corpus,
          queries.subarray(query * dimension, (query + 1) * dimension),
          dimension,
          10,
        );
        if (index === 'exact') expect(list.map(({ id, score }) => ({ id, score }))).toEqual(expected);
        for (const passage of list) expect(passage.contents).toBe(`contents of ${passage.id}`);
      });
      await retriever.dispose();
    },
  );

  it('gives a query the same results (scores included) alone and in a batch', async () => {
    const retriever = await createDenseRetriever({
      model: matrixEmbedder(queries, dimension),
      passages,
      embeddings: corpus,
    });
    const batch = await retriever.search(['q0', 'q1', 'q2', 'q3', 'q4'], 7);
    for (let query = 0; query < 5; query += 1)
      expect((await retriever.search([`q${query}`], 7))[0]).toEqual(batch[query]);
    await retriever.dispose();
  });

  it.each(['exact', 'hnsw'] as const)(
    '%s orders equal scores by id, also when k cuts through the tie',
    async (index) => {
      // Three identical vectors under ids given out of order; a fourth, worse one.
      const vectors = Float32Array.from([0.6, 0.8, 1, 0, 0.6, 0.8, 0.6, 0.8]);
      const tied = [
        { id: 'm', contents: 'm' },
        { id: 'worse', contents: 'w' },
        { id: 'b', contents: 'b' },
        { id: 'k', contents: 'k' },
      ];
      const retriever = await createDenseRetriever({
        model: matrixEmbedder(Float32Array.from([0.6, 0.8]), 2),
        passages: tied,
        embeddings: vectors,
        index,
      });
      const [all] = await retriever.search(['q0'], 10);
      expect(ids(all!)).toEqual(['b', 'k', 'm', 'worse']);
      expect(all![0]!.score).toBe(all![2]!.score);
      expect(all![3]!.score).toBe(Math.fround(0.6));
      expect(ids((await retriever.search(['q0'], 2))[0]!)).toEqual(['b', 'k']);
    },
  );

  it('with metric cosine scores cos(q, p) for unnormalized vectors', async () => {
    const raw = randomVectors(3, 50, dimension, false);
    const rawQueries = randomVectors(4, 3, dimension, false);
    const retriever = await createDenseRetriever({
      model: matrixEmbedder(rawQueries.slice(), dimension),
      passages: passages.slice(0, 50),
      embeddings: raw,
      metric: 'cosine',
    });
    const [top] = await retriever.search(['q1'], 5);
    const unitCorpus = normalizeRows(raw.slice(), dimension);
    const unitQuery = normalizeRows(rawQueries.slice(dimension, 2 * dimension), dimension);
    expect(top!.map(({ id, score }) => ({ id, score }))).toEqual(
      referenceSearch(passageIds.slice(0, 50), unitCorpus, unitQuery, dimension, 5),
    );
    for (const passage of top!) expect(Math.abs(passage.score!)).toBeLessThanOrEqual(1);
    expect(retriever.stats).toEqual({ passages: 50, dimension, index: 'exact', metric: 'cosine' });
  });

  it('does not embed empty or whitespace queries, and answers k = 0 and an empty corpus with []', async () => {
    const model = matrixEmbedder(queries, dimension);
    const retriever = await createDenseRetriever({ model, passages, embeddings: corpus });
    const results = await retriever.search(['', 'q3', ' \n'], 2);
    expect(results.map((list) => list.length)).toEqual([0, 2, 0]);
    expect(model.calls).toEqual([['q3']]);
    expect(await retriever.search(['q1', 'q2'], 0)).toEqual([[], []]);
    expect(model.calls).toHaveLength(1);
    const empty = await createDenseRetriever({ model, passages: [], embeddings: new Float32Array(0), index: 'hnsw' });
    expect(await empty.search(['q1'], 3)).toEqual([[]]);
    const emptyExact = await createDenseRetriever({ model, passages: [], embeddings: new Float32Array(0) });
    expect(await emptyExact.search(['q1'], 3)).toEqual([[]]);
  });

  it('rejects when the signal is already aborted', async () => {
    const retriever = await createDenseRetriever({
      model: matrixEmbedder(queries, dimension),
      passages,
      embeddings: corpus,
    });
    await expect(retriever.search(['q0'], 3, { signal: AbortSignal.abort(new Error('cancelled')) })).rejects.toThrow(
      'cancelled',
    );
  });
});

describe('createDenseRetriever: exact and HNSW agree', () => {
  it('recall@10 of HNSW against exact search is at least 0.95 on 2000 random unit vectors', async () => {
    const dimension = 48;
    const count = 2000;
    const queryCount = 100;
    const corpus = randomVectors(10, count, dimension);
    const queries = randomVectors(11, queryCount, dimension);
    const passages = Array.from({ length: count }, (_, index) => ({ id: `p${index}`, contents: `passage ${index}` }));
    const model = matrixEmbedder(queries, dimension);
    const exact = await createDenseRetriever({ model, passages, embeddings: corpus, index: 'exact' });
    const hnsw = await createDenseRetriever({
      model,
      passages,
      embeddings: corpus,
      index: 'hnsw',
      hnsw: { connectivity: 16, expansionAdd: 128, expansionSearch: 64 },
    });
    const texts = Array.from({ length: queryCount }, (_, query) => `q${query}`);
    const [exactResults, hnswResults] = [await exact.search(texts, 10), await hnsw.search(texts, 10)];
    let hits = 0;
    exactResults.forEach((list, query) => {
      const found = new Map(hnswResults[query]!.map((passage) => [passage.id, passage.score]));
      for (const passage of list) {
        if (!found.has(passage.id)) continue;
        hits += 1;
        // both rescore their candidates the same way, so a shared passage has the same score
        expect(found.get(passage.id)).toBe(passage.score);
      }
    });
    const recall = hits / (queryCount * 10);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    await exact.dispose();
  });
});

describe('createDenseRetriever: embeddings and validation', () => {
  it('embeds passages with the model when no embeddings are given (with progress), as precomputed ones would', async () => {
    const model = await conformanceModel();
    const passages = retrieverConformanceCorpus.map((passage) => ({ ...passage }));
    const progress: number[] = [];
    const computed = await createDenseRetriever({ model, passages, onProgress: ({ done }) => progress.push(done) });
    expect(progress.at(-1)).toBe(passages.length);
    const precomputed = await createDenseRetriever({
      model,
      passages,
      embeddings: await model.embedPassages(passages.map((passage) => passage.contents)),
    });
    const queries = ['lighthouse', 'quokka', 'volcano ash'];
    expect(await computed.search(queries, 4)).toEqual(await precomputed.search(queries, 4));
    await Promise.all([computed.dispose(), precomputed.dispose()]);
  });

  it('needs embeddings for a query-only embedder', async () => {
    const model = matrixEmbedder(new Float32Array(4), 4);
    await expect(createDenseRetriever({ model, passages: [{ id: 'a', contents: 'x' }] })).rejects.toThrow(
      'config field "embeddings": are required when the model has no embedPassages (a query-only embedder)',
    );
  });

  it('refuses embeddings of the wrong size or with non-finite values, and duplicate ids', async () => {
    const model = matrixEmbedder(new Float32Array(4), 2);
    const passages = [
      { id: 'a', contents: 'x' },
      { id: 'b', contents: 'y' },
    ];
    await expect(createDenseRetriever({ model, passages, embeddings: new Float32Array(3) })).rejects.toThrow(
      'field "embeddings": hold 3 values; 2 passages × dimension 2 need 4',
    );
    await expect(
      createDenseRetriever({ model, passages, embeddings: Float32Array.from([1, 0, Number.NaN, 1]) }),
    ).rejects.toThrow('value NaN at row 1 is not finite');
    await expect(
      createDenseRetriever({ model, passages, embeddings: [1, 0, 0, 1] as unknown as Float32Array }),
    ).rejects.toThrow(InvalidInputError);
    await expect(
      createDenseRetriever({
        model,
        passages: [...passages, { id: 'a', contents: 'z' }],
        embeddings: new Float32Array(6),
      }),
    ).rejects.toThrow('field "passages.2.id": duplicate passage id "a"');
    await expect(
      createDenseRetriever({
        model,
        passages: [{ id: 3, contents: 'x' } as unknown as Passage],
        embeddings: new Float32Array(2),
      }),
    ).rejects.toThrow('field "passages.0.id": expected a string, got number');
  });

  it('refuses bad options as InvalidConfigError', async () => {
    const model = matrixEmbedder(new Float32Array(4), 2);
    const base = { model, passages: [{ id: 'a', contents: 'x' }], embeddings: Float32Array.from([1, 0]) };
    await expect(createDenseRetriever({ ...base, index: 'ivf' as never })).rejects.toThrow(InvalidConfigError);
    await expect(createDenseRetriever({ ...base, metric: 'l2' as never })).rejects.toThrow('config field "metric"');
    await expect(createDenseRetriever({ ...base, hnsw: { connectivity: 1 } })).rejects.toThrow(
      'config field "hnsw.connectivity": must be at least 2, got 1',
    );
    await expect(createDenseRetriever({ ...base, hnsw: { expansionSearch: 0 } })).rejects.toThrow(
      'config field "hnsw.expansionSearch"',
    );
    await expect(createDenseRetriever({ ...base, model: { ...model, dimension: 0 } })).rejects.toThrow(
      'config field "model.dimension"',
    );
    await expect(createDenseRetriever({ ...base, model: { ...model, fingerprint: '' } })).rejects.toThrow(
      'config field "model.fingerprint"',
    );
  });

  it('refuses an embedder that returns the wrong number of values', async () => {
    const model = { dimension: 2, fingerprint: 'broken', embedQueries: async () => new Float32Array(3) };
    const retriever = await createDenseRetriever({
      model,
      passages: [{ id: 'a', contents: 'x' }],
      embeddings: Float32Array.from([1, 0]),
    });
    await expect(retriever.search(['q'], 1)).rejects.toThrow(
      'model.embedQueries: embedQueries must return a Float32Array of 1 × 2 values, got 3 values',
    );
  });

  it('refuses bad search arguments', async () => {
    const retriever = await createDenseRetriever({
      model: matrixEmbedder(new Float32Array(2), 2),
      passages: [{ id: 'a', contents: 'x' }],
      embeddings: Float32Array.from([1, 0]),
    });
    await expect(retriever.search(['q0'], -1)).rejects.toThrow('field "k": expected a non-negative integer, got -1');
    await expect(retriever.search('q0' as unknown as string[], 1)).rejects.toThrow('field "queries"');
    await expect(retriever.search([null as unknown as string], 1)).rejects.toThrow(
      'field "queries.0": expected a string, got object',
    );
  });
});
