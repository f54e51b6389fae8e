import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrixEmbedder, randomVectors } from '../test/matrix-embedder';
import { temporaryDirectory } from '../test/temporary-directory';
import { prefixVocabulary, writeTinyModelDirectory } from '../test/tiny-encoder';
import { createDenseRetriever } from './create-dense-retriever';
import type { DenseIndexManifest } from './dense-index-manifest';
import type { DenseRetriever, DenseRetrieverState } from './dense-retriever';
import { e5Conventions } from './embedding-conventions';
import { loadDenseRetriever, readDenseIndexManifest } from './load-dense-retriever';
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

/** The passages of a retriever (internal state): where they are held. */
function passageLocation(retriever: DenseRetriever): 'memory' | 'file' {
  return (retriever as unknown as { state: DenseRetrieverState }).state.passages.location;
}

/** Rewrites a manifest's sizes, SHA-256s and checksum for the files as they now are (a consistent, edited index). */
async function resealManifest(directory: string, change: Partial<DenseIndexManifest> = {}): Promise<void> {
  const manifestPath = join(directory, 'manifest.json');
  const manifest = { ...(JSON.parse(await readFile(manifestPath, 'utf8')) as DenseIndexManifest), ...change };
  const combined = createHash('sha256');
  for (const entry of manifest.files) {
    const bytes = await readFile(join(directory, entry.name));
    combined.update(bytes);
    entry.bytes = bytes.length;
    entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  }
  manifest.checksum = combined.digest('hex');
  await writeFile(manifestPath, JSON.stringify(manifest));
}

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
        version: 2,
        name: `my-${index}`,
        passages: count,
        dimension,
        metric: 'inner-product',
        model: { fingerprint: 'matrix-v1' },
        index:
          index === 'exact'
            ? { kind: 'exact' }
            : { kind: 'hnsw', connectivity: 16, expansionAdd: 128, expansionSearch: 256 },
      });
      expect(manifest.files.map((file) => file.name)).toEqual([
        'passages.jsonl',
        'passage-offsets.bin',
        'embeddings.f32',
        ...(index === 'hnsw' ? ['index.usearch'] : []),
      ]);
      expect(manifest.files[1]!.bytes).toBe((count + 1) * 12);
      expect(manifest.files[2]!.bytes).toBe(count * dimension * 4);
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
    expect(rebuilt.stats.hnsw).toEqual({ connectivity: 8, expansionAdd: 128, expansionSearch: 256 });
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
    // The manifest records the settings the model was loaded with, so it can be loaded again from its folder alone.
    const manifest = await readDenseIndexManifest(directory);
    expect(manifest.model.settings).toEqual({
      ...e5Conventions,
      maxLength: 512,
      queryMaxLength: 512,
      outputName: 'last_hidden_state',
    });
    // The same weights with other conventions are another embedding space; the error says which setting differs.
    const clsModel = await loadEmbeddingModel(modelDirectory, { ...e5Conventions, pooling: 'cls', maxLength: 64 });
    await expect(loadDenseRetriever(directory, clsModel)).rejects.toThrow(
      /field "model.fingerprint": the index was built with model sha256:[0-9a-f]{64} \(it was loaded with pooling "mean" \(given "cls"\), maxLength 512 \(given 64\)\), but the given model is sha256:/,
    );
    await Promise.all([onnxModel.dispose(), clsModel.dispose()]);
    // An embedder that is not a loaded ONNX model records no settings.
    const matrixDirectory = join(root.path, 'matrix-settings');
    await (await createDenseRetriever({ model, passages, embeddings: corpus })).save(matrixDirectory);
    expect((await readDenseIndexManifest(matrixDirectory)).model).toEqual({ fingerprint: 'matrix-v1' });
    // Recorded settings are checked when read, naming the field.
    const manifestPath = join(directory, 'manifest.json');
    const broken = JSON.parse(await readFile(manifestPath, 'utf8')) as DenseIndexManifest;
    broken.model.settings!.maxLength = 0;
    await writeFile(manifestPath, JSON.stringify(broken));
    await expect(readDenseIndexManifest(directory)).rejects.toThrow(
      `${manifestPath}, field "model.settings.maxLength": must be a positive integer, got 0`,
    );
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
    ['version', { version: 3 }, 'field "version": this build reads versions 1 and 2, got 3'],
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

describe('passages read from passages.jsonl by offset', () => {
  it.each([
    ['exact', 'f32'],
    ['hnsw', 'f32'],
    ['hnsw', 'i8'],
  ] as const)(
    'a loaded %s retriever (%s) answers with the same ids, contents and scores',
    async (index, quantization) => {
      const built = await createDenseRetriever({ model, passages, embeddings: corpus, index, quantization });
      const directory = join(root.path, `by-offset-${index}-${quantization}`);
      await built.save(directory);
      const loaded = await loadDenseRetriever(directory, model);
      expect(passageLocation(built)).toBe('memory');
      expect(passageLocation(loaded)).toBe('file');
      // Every passage, for the exact index (the HNSW graph's candidates for the others).
      const k = index === 'exact' ? count : 40;
      const results = await loaded.search(queryTexts, k);
      expect(results).toEqual(await built.search(queryTexts, k));
      expect(results[0]!.some((passage) => passage.contents.includes('ünïcode'))).toBe(true);
      await loaded.dispose();
      await built.dispose();
    },
  );

  it('a loaded retriever saved again writes the same passages.jsonl and passage-offsets.bin', async () => {
    const directory = await savedCopy('resave-source', 'hnsw');
    const loaded = await loadDenseRetriever(directory, model);
    const again = join(root.path, 'resave-target');
    await loaded.save(again);
    for (const name of ['passages.jsonl', 'passage-offsets.bin', 'embeddings.f32'])
      expect(await readFile(join(again, name))).toEqual(await readFile(join(directory, name)));
    const reloaded = await loadDenseRetriever(again, model);
    expect(await reloaded.search(queryTexts, 8)).toEqual(await loaded.search(queryTexts, 8));
    await Promise.all([loaded.dispose(), reloaded.dispose()]);
  });

  it('dispose closes passages.jsonl', async () => {
    const directory = await savedCopy('dispose', 'hnsw');
    const loaded = await loadDenseRetriever(directory, model);
    await loaded.dispose();
    await expect(loaded.search(queryTexts, 3)).rejects.toThrow(/was closed/);
  });
});

describe('a version-1 index (no passage-offsets.bin)', () => {
  // Written by the version-1 writer: 24 passages given out of id order, vectors of dimension 8 (seed 41), an
  // HNSW graph; queries q0..q3 are the vectors of seed 42.
  const fixture = fileURLToPath(new URL('__fixtures__/dense-index-v1', import.meta.url));
  const fixtureDimension = 8;
  const fixturePassages = Array.from({ length: 24 }, (_, index) => ({
    id: `doc-${String((index * 7) % 24).padStart(2, '0')}`,
    contents: `"Title ${index}"\ntext ${index} — ünïcode "quoted"`,
  }));
  const fixtureModel = matrixEmbedder(randomVectors(42, 4, fixtureDimension), fixtureDimension);
  const fixtureQueries = ['q0', 'q1', 'q2', 'q3'];
  const builtFromFixtureData = (index: 'exact' | 'hnsw') =>
    createDenseRetriever({
      model: fixtureModel,
      passages: fixturePassages,
      embeddings: randomVectors(41, 24, fixtureDimension),
      index,
      // the fixture's graph was saved with the search expansion that was then the default
      ...(index === 'hnsw' ? { hnsw: { expansionSearch: 64 } } : {}),
      name: 'dense-v1-fixture',
    });

  it('loads (the table built by one pass over passages.jsonl) and answers as the same passages built in memory', async () => {
    const manifest = JSON.parse(await readFile(join(fixture, 'manifest.json'), 'utf8')) as DenseIndexManifest;
    expect(manifest.version).toBe(1);
    expect(existsSync(join(fixture, 'passage-offsets.bin'))).toBe(false);
    // The reference answers are the exact search's: a graph built again in memory may differ from the saved one (a
    // multi-threaded HNSW build can leave a node unreached), while the saved graph reaches all 24 passages.
    const exact = await builtFromFixtureData('exact');
    const expected = await exact.search(fixtureQueries, 24);
    for (const index of ['hnsw', 'exact'] as const) {
      const loaded = await loadDenseRetriever(fixture, fixtureModel, { index });
      const built = await builtFromFixtureData(index);
      expect(passageLocation(loaded)).toBe('file');
      expect(loaded.stats).toEqual(built.stats);
      expect(await loaded.search(fixtureQueries, 24)).toEqual(expected);
      await Promise.all([loaded.dispose(), built.dispose()]);
    }
    await exact.dispose();
  });

  it('saved again, it is a version-2 index with the same passages.jsonl and answers', async () => {
    const loaded = await loadDenseRetriever(fixture, fixtureModel);
    const directory = join(root.path, 'v1-resaved');
    await loaded.save(directory);
    const manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as DenseIndexManifest;
    expect(manifest.version).toBe(2);
    expect(manifest.files.map((file) => file.name)).toEqual([
      'passages.jsonl',
      'passage-offsets.bin',
      'embeddings.f32',
      'index.usearch',
    ]);
    expect(await readFile(join(directory, 'passages.jsonl'))).toEqual(await readFile(join(fixture, 'passages.jsonl')));
    // The table is the one the in-memory retriever writes.
    const built = await builtFromFixtureData('hnsw');
    const builtDirectory = join(root.path, 'v1-data-built');
    await built.save(builtDirectory);
    expect(await readFile(join(directory, 'passage-offsets.bin'))).toEqual(
      await readFile(join(builtDirectory, 'passage-offsets.bin')),
    );
    const reloaded = await loadDenseRetriever(directory, fixtureModel);
    expect(await reloaded.search(fixtureQueries, 10)).toEqual(await loaded.search(fixtureQueries, 10));
    await Promise.all([loaded.dispose(), reloaded.dispose(), built.dispose()]);
  });

  it('its lines are checked as before: ids unique and ascending, naming the file and the line', async () => {
    const directory = join(root.path, 'v1-swapped');
    await cp(fixture, directory, { recursive: true });
    const path = join(directory, 'passages.jsonl');
    const lines = (await readFile(path, 'utf8')).split('\n');
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await writeFile(path, lines.join('\n'));
    // Same size: only the checksums see it.
    await expect(loadDenseRetriever(directory, fixtureModel)).rejects.toThrow(
      `${path}: checksum mismatch: the file is corrupt or was changed after saving`,
    );
    await expect(loadDenseRetriever(directory, fixtureModel, { verifyChecksums: false })).rejects.toThrow(
      `${path}, line 3: ids must be unique and ascending; "doc-01" follows "doc-02"`,
    );
  });
});

describe('passage-offsets.bin and passages.jsonl: corruption', () => {
  const expectError = async (promise: Promise<unknown>, message: string) => {
    const error = await promise.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe(message);
  };

  it('a truncated passage-offsets.bin is a size mismatch naming the file, checksums on or off', async () => {
    const directory = await savedCopy('offsets-truncated');
    const path = join(directory, 'passage-offsets.bin');
    await truncate(path, count * 12);
    const message = `${path}: has ${count * 12} bytes, the manifest says ${(count + 1) * 12} (truncated or changed)`;
    await expectError(loadDenseRetriever(directory, model), message);
    await expectError(loadDenseRetriever(directory, model, { verifyChecksums: false }), message);
  });

  it('an offset table listing another number of passages than the manifest (the files consistent)', async () => {
    const directory = await savedCopy('offsets-count');
    const path = join(directory, 'passage-offsets.bin');
    const table = await readFile(path);
    // Without the last passage's entry: the table of the first count - 1 lines, ending at the file's size.
    await writeFile(path, Buffer.concat([table.subarray(0, (count - 1) * 12), table.subarray(count * 12)]));
    await resealManifest(directory);
    await expectError(
      loadDenseRetriever(directory, model),
      `${path}: has ${count * 12} bytes; ${count} passages need ${(count + 1) * 12} (${count + 1} entries of 12 bytes): truncated, or written for another number of passages`,
    );
  });

  it('a changed byte in passages.jsonl: the SHA-256 at load, or its CRC-32 when the search reads it', async () => {
    const directory = await savedCopy('passages-changed');
    const path = join(directory, 'passages.jsonl');
    const bytes = await readFile(path);
    const at = bytes.indexOf('text 17 ');
    bytes[at] = 'T'.charCodeAt(0);
    await writeFile(path, bytes);
    await expectError(
      loadDenseRetriever(directory, model),
      `${path}: checksum mismatch: the file is corrupt or was changed after saving`,
    );
    const loaded = await loadDenseRetriever(directory, model, { verifyChecksums: false });
    // The line of the changed byte: its row in id order, and its bytes.
    const lineStart = bytes.lastIndexOf('\n', at) + 1;
    const lineEnd = bytes.indexOf('\n', at) + 1;
    const row = bytes.subarray(0, lineStart).filter((byte) => byte === 0x0a).length;
    await expectError(
      loaded.search(queryTexts, count),
      `${path}: passage ${row} (bytes ${lineStart} to ${lineEnd}) does not match its CRC-32 in passage-offsets.bin: the file is corrupt or was changed after saving`,
    );
    // Passages that are not the changed one still read.
    expect((await loaded.search(queryTexts, 1)).flat().every((passage) => !passage.contents.includes('text 17 '))).toBe(
      true,
    );
    await loaded.dispose();
  });

  it('passages.jsonl of another size than its offset table says, or not listed', async () => {
    const directory = await savedCopy('passages-size');
    const path = join(directory, 'passages.jsonl');
    const { size } = await stat(path);
    await writeFile(path, Buffer.concat([await readFile(path), Buffer.from('\n')]));
    await resealManifest(directory);
    await expectError(
      loadDenseRetriever(directory, model),
      `${path}: has ${size + 1} bytes, but passage-offsets.bin ends at byte ${size}: the file or its table is corrupt or was changed after saving`,
    );
    const manifestPath = join(directory, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as DenseIndexManifest;
    await resealManifest(directory, { files: manifest.files.filter((file) => file.name !== 'passage-offsets.bin') });
    await expectError(
      loadDenseRetriever(directory, model),
      `${manifestPath}, field "files": does not list passage-offsets.bin`,
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
