import { existsSync } from 'node:fs';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixEmbedder, randomVectors } from '../test/matrix-embedder';
import { temporaryDirectory } from '../test/temporary-directory';
import { prefixVocabulary, writeTinyModelDirectory } from '../test/tiny-encoder';
import { createDenseRetriever } from './create-dense-retriever';
import type { DenseIndexManifest } from './dense-index-manifest';
import { e5Conventions } from './embedding-conventions';
import { loadDenseRetriever } from './load-dense-retriever';
import { loadEmbeddingModel } from './load-embedding-model';

const dimension = 16;
const count = 300;
const corpus = randomVectors(21, count, dimension);
const queries = randomVectors(22, 12, dimension);
const model = matrixEmbedder(queries, dimension);
const passages = Array.from({ length: count }, (_, index) => ({
  id: `doc-${(index * 7919) % 1000}`,
  contents: `"Title ${index}"\ntext ${index} — ünïcode`,
}));
const queryTexts = Array.from({ length: 12 }, (_, query) => `q${query}`);

let root: Awaited<ReturnType<typeof temporaryDirectory>>;
beforeAll(async () => {
  root = await temporaryDirectory('save');
});
afterAll(async () => {
  await root.remove();
});

async function savedCopy(name: string, index: 'exact' | 'hnsw' = 'exact'): Promise<string> {
  const retriever = await createDenseRetriever({ model, passages, embeddings: corpus, index });
  const directory = join(root.path, name);
  await retriever.save(directory);
  return directory;
}

describe('save and loadDenseRetriever', () => {
  it.each(['exact', 'hnsw'] as const)(
    'round-trips a %s retriever: same results, manifest with sizes, fingerprint and checksums',
    async (index) => {
      const retriever = await createDenseRetriever({ model, passages, embeddings: corpus, index, name: `my-${index}` });
      const directory = join(root.path, `round-trip-${index}`);
      await retriever.save(directory);
      const manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as DenseIndexManifest;
      expect(manifest).toMatchObject({
        format: 'research-ts/retriever-dense',
        version: 1,
        name: `my-${index}`,
        passages: count,
        dimension,
        metric: 'inner-product',
        model: { fingerprint: 'matrix-v1' },
        index:
          index === 'exact'
            ? { kind: 'exact' }
            : { kind: 'hnsw', connectivity: 16, expansionAdd: 128, expansionSearch: 64 },
      });
      expect(manifest.files.map((file) => file.name)).toEqual([
        'passages.jsonl',
        'embeddings.f32',
        ...(index === 'hnsw' ? ['index.usearch'] : []),
      ]);
      expect(manifest.files[1]!.bytes).toBe(count * dimension * 4);
      expect(manifest.checksum).toMatch(/^[0-9a-f]{64}$/);

      const loaded = await loadDenseRetriever(directory, model);
      expect(loaded.name).toBe(`my-${index}`);
      expect(loaded.stats).toEqual(retriever.stats);
      expect(await loaded.search(queryTexts, 8)).toEqual(await retriever.search(queryTexts, 8));
    },
  );

  it('writes passages.jsonl in id order and embeddings.f32 as little-endian float32 rows in that order', async () => {
    const directory = await savedCopy('layout');
    const lines = (await readFile(join(directory, 'passages.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; contents: string });
    const sortedIds = passages.map((passage) => passage.id).sort();
    expect(lines.map((line) => line.id)).toEqual(sortedIds);
    const bytes = await readFile(join(directory, 'embeddings.f32'));
    const firstId = sortedIds[0]!;
    const original = passages.findIndex((passage) => passage.id === firstId);
    for (let unit = 0; unit < dimension; unit += 1)
      expect(bytes.readFloatLE(unit * 4)).toBe(corpus[original * dimension + unit]);
  });

  it('loads a saved exact index as HNSW and a saved HNSW index as exact', async () => {
    const exactDirectory = await savedCopy('as-hnsw', 'exact');
    const hnswDirectory = await savedCopy('as-exact', 'hnsw');
    const asHnsw = await loadDenseRetriever(exactDirectory, model, { index: 'hnsw', hnsw: { expansionSearch: 300 } });
    const asExact = await loadDenseRetriever(hnswDirectory, model, { index: 'exact' });
    expect(asHnsw.stats.index).toBe('hnsw');
    expect(asExact.stats.index).toBe('exact');
    // 300 vectors, ef 300: the HNSW answer is (nearly always) the exact one; an approximate graph built on several
    // threads may, rarely, miss a neighbour, so the check is recall, and equal scores for what both return
    expectNearlyExact(await asHnsw.search(queryTexts, 5), await asExact.search(queryTexts, 5));
  });

  it('reuses a saved graph with a new expansionSearch, and rebuilds it for another connectivity', async () => {
    const directory = await savedCopy('expansion', 'hnsw');
    const wider = await loadDenseRetriever(directory, model, { hnsw: { expansionSearch: 300 } });
    expect(wider.stats.hnsw).toEqual({ connectivity: 16, expansionAdd: 128, expansionSearch: 300 });
    const rebuilt = await loadDenseRetriever(directory, model, { hnsw: { connectivity: 8 } });
    expect(rebuilt.stats.hnsw).toEqual({ connectivity: 8, expansionAdd: 128, expansionSearch: 64 });
    // ef 300 over 300 vectors: (nearly always) the exact answer
    const exact = await loadDenseRetriever(directory, model, { index: 'exact' });
    expectNearlyExact(await wider.search(queryTexts, 5), await exact.search(queryTexts, 5));
    await expect(loadDenseRetriever(directory, model, { hnsw: { expansionSearch: 0 } })).rejects.toThrow(
      'config field "hnsw.expansionSearch": must be a positive integer, got 0',
    );
  });

  it('removes a stale index.usearch when an exact retriever is saved over an HNSW one', async () => {
    const directory = await savedCopy('overwrite', 'hnsw');
    expect(existsSync(join(directory, 'index.usearch'))).toBe(true);
    await (await createDenseRetriever({ model, passages, embeddings: corpus })).save(directory);
    expect(existsSync(join(directory, 'index.usearch'))).toBe(false);
    expect((await loadDenseRetriever(directory, model)).stats.index).toBe('exact');
  });

  it('round-trips a retriever over an ONNX model, checked against the model fingerprint', async () => {
    const modelDirectory = join(root.path, 'tiny-model');
    const texts = passages.slice(0, 20).map((passage) => passage.contents);
    await writeTinyModelDirectory(modelDirectory, { corpus: [...texts, ...prefixVocabulary], hidden: 16 });
    const onnxModel = await loadEmbeddingModel(modelDirectory, { ...e5Conventions });
    const retriever = await createDenseRetriever({ model: onnxModel, passages: passages.slice(0, 20), index: 'hnsw' });
    const directory = join(root.path, 'onnx-round-trip');
    await retriever.save(directory);
    const loaded = await loadDenseRetriever(directory, onnxModel);
    expect(await loaded.search(['title 3', 'text 7'], 3)).toEqual(await retriever.search(['title 3', 'text 7'], 3));
    // The same weights with other conventions are another embedding space.
    const clsModel = await loadEmbeddingModel(modelDirectory, { ...e5Conventions, pooling: 'cls' });
    await expect(loadDenseRetriever(directory, clsModel)).rejects.toThrow(
      /field "model.fingerprint": the index was built with model sha256:[0-9a-f]{64}, but the given model is sha256:/,
    );
    await Promise.all([onnxModel.dispose(), clsModel.dispose()]);
  });
});

describe('loadDenseRetriever: corruption and mismatch', () => {
  const expectLoadError = async (directory: string, message: string | RegExp, embedder = model) => {
    const error = await loadDenseRetriever(directory, embedder).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
  };

  it('a flipped byte in embeddings.f32 is a checksum mismatch naming the file', async () => {
    const directory = await savedCopy('flipped');
    const path = join(directory, 'embeddings.f32');
    const bytes = await readFile(path);
    bytes[100] = bytes[100]! ^ 0x01;
    await writeFile(path, bytes);
    await expectLoadError(directory, `${path}: checksum mismatch: the file is corrupt or was changed after saving`);
  });

  it('a truncated passages.jsonl is a size mismatch naming the file', async () => {
    const directory = await savedCopy('truncated');
    const path = join(directory, 'passages.jsonl');
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path));
    await truncate(path, size - 10);
    await expectLoadError(
      directory,
      `${path}: has ${size - 10} bytes, the manifest says ${size} (truncated or changed)`,
    );
  });

  it('a corrupt or missing usearch file is caught before usearch reads it', async () => {
    const directory = await savedCopy('bad-usearch', 'hnsw');
    const path = join(directory, 'index.usearch');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(path, bytes);
    await expectLoadError(directory, `${path}: checksum mismatch: the file is corrupt or was changed after saving`);
    await rm(path);
    await expectLoadError(
      directory,
      new RegExp(`^${path.replaceAll('/', '\\/')}: is listed in manifest.json but cannot be read: `),
    );
  });

  it('a missing or unreadable manifest', async () => {
    const directory = await savedCopy('no-manifest');
    const manifestPath = join(directory, 'manifest.json');
    await rm(manifestPath);
    await expectLoadError(directory, `${manifestPath}: is missing (not a saved dense index, or saving did not finish)`);
    await writeFile(manifestPath, '{"format": ');
    await expectLoadError(directory, new RegExp(`^${manifestPath}: is not valid JSON`));
  });

  it.each([
    ['format', { format: 'other' }, 'field "format": must be "research-ts/retriever-dense", got "other"'],
    ['version', { version: 2 }, 'field "version": this build reads version 1, got 2'],
    ['dimension', { dimension: 0 }, 'field "dimension": must be an integer >= 1, got 0'],
    ['metric', { metric: 'l2' }, 'field "metric": must be "inner-product" or "cosine", got "l2"'],
    ['index kind', { index: { kind: 'ivf' } }, 'field "index.kind": must be "exact" or "hnsw"'],
    [
      'hnsw parameters',
      { index: { kind: 'hnsw', connectivity: 16, expansionAdd: 0, expansionSearch: 64 } },
      'field "index.expansionAdd": must be a positive integer, got 0',
    ],
  ])('a manifest with a bad %s', async (label, change, message) => {
    const directory = await savedCopy(`manifest-${label.replace(' ', '-')}`);
    const manifestPath = join(directory, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    await writeFile(manifestPath, JSON.stringify({ ...manifest, ...change }));
    await expectLoadError(directory, `${manifestPath}, ${message}`);
  });

  it('a model of another fingerprint or dimension', async () => {
    const directory = await savedCopy('mismatch');
    const manifestPath = join(directory, 'manifest.json');
    await expectLoadError(
      directory,
      `${manifestPath}, field "model.fingerprint": the index was built with model matrix-v1, but the given model is matrix-v2; re-embed the passages with this model or load the original one`,
      matrixEmbedder(queries, dimension, 'matrix-v2'),
    );
    await expectLoadError(
      directory,
      `${manifestPath}, field "dimension": the index holds embeddings of dimension 16, but the given model has dimension 8`,
      matrixEmbedder(queries, 8),
    );
  });

  it('a manifest whose sizes disagree with consistent files (passages count)', async () => {
    const directory = await savedCopy('count');
    const manifestPath = join(directory, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as DenseIndexManifest;
    await writeFile(manifestPath, JSON.stringify({ ...manifest, passages: count - 1 }));
    await expectLoadError(
      directory,
      `${join(directory, 'embeddings.f32')}: has ${count * dimension * 4} bytes; ${count - 1} passages × dimension ${dimension} × 4 need ${(count - 1) * dimension * 4}`,
    );
  });
});

/** Approximate results against exact ones: recall@k ≥ 0.9 over all queries, and every shared id with the same score. */
function expectNearlyExact(
  approximate: { id: string; score?: number }[][],
  exact: { id: string; score?: number }[][],
): void {
  expect(approximate).toHaveLength(exact.length);
  let found = 0;
  let total = 0;
  approximate.forEach((results, query) => {
    const scores = new Map(exact[query]!.map((passage) => [passage.id, passage.score]));
    total += scores.size;
    for (const passage of results) {
      if (!scores.has(passage.id)) continue;
      found += 1;
      expect(passage.score).toBeCloseTo(scores.get(passage.id)!, 5);
    }
  });
  expect(found / total).toBeGreaterThanOrEqual(0.9);
}
