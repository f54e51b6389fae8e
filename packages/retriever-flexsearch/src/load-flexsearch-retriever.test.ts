import { InvalidInputError, ResearchError } from '@research-ts/spec';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';
import { indexDataFiles, indexFormat, indexFormatVersion, type IndexManifest } from './index-manifest';
import { loadFlexsearchRetriever } from './load-flexsearch-retriever';

const root = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-save-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const passages = [
  { id: 'aurora', contents: '"Aurora"\nThe aurora glows green over the northern sky in winter.' },
  { id: 'volcano', contents: '"Volcano"\nA volcano erupts molten rock, ash and gas from a magma chamber.' },
  { id: 'glacier', contents: '"Glacier"\nA glacier is a slow river of ice carving valleys.' },
  { id: 'zurich', contents: '"Zürich"\nZürich and 東京 are cities; Zürich’s lake is cold.' },
  { id: 'echo', contents: `"Echo"\n${'echo '.repeat(50)}canyon` },
  { id: 'empty', contents: '' },
];
const queries = ['volcano ash', 'the', 'zürich', '東京', 'echo canyon', 'ice glacier sky', 'nothing'];

let directory = '';
let counter = 0;
/** A fresh copy of the saved index, to damage. */
async function savedCopy(): Promise<string> {
  const copy = join(root, `copy-${counter++}`);
  await createFlexsearchRetriever(passages, { analyzer: { stopwords: 'english', stemmer: 'light' } }).save(copy);
  return copy;
}

beforeAll(async () => {
  directory = join(root, 'index');
  await createFlexsearchRetriever(passages, { analyzer: { stopwords: 'english', stemmer: 'light' } }).save(directory);
});

function readManifest(path: string): IndexManifest {
  return JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as IndexManifest;
}

describe('save → load', () => {
  it('gives identical results, scores included, with the saved analyzer', async () => {
    const original = createFlexsearchRetriever(passages, { analyzer: { stopwords: 'english', stemmer: 'light' } });
    const loaded = await loadFlexsearchRetriever(directory, { name: 'loaded' });
    expect(await loaded.search(queries, 10)).toEqual(await original.search(queries, 10));
    expect(loaded.analyzerSettings).toEqual({ stopwords: 'english', stemmer: 'light', possessives: true });
    expect(loaded.analyze('The glaciers')).toEqual(['glacier']);
    expect(loaded.stats).toEqual(original.stats);
    expect(loaded.name).toBe('loaded');
  });

  it('writes a manifest with format, version, counts, settings and SHA-256 checksums of the data files', () => {
    const manifest = readManifest(directory);
    expect(manifest).toMatchObject({
      format: indexFormat,
      version: indexFormatVersion,
      passages: 6,
      analyzer: { stopwords: 'english', stemmer: 'light', possessives: true },
      bm25: { k1: 0.9, b: 0.4 },
      backend: { engine: 'flexsearch', frequencySlots: 32 },
    });
    expect(manifest.files.map((file) => file.name)).toEqual(Object.values(indexDataFiles));
    const overall = createHash('sha256');
    for (const file of manifest.files) {
      const bytes = readFileSync(join(directory, file.name));
      expect(bytes.length).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      overall.update(bytes);
    }
    expect(manifest.checksum).toBe(overall.digest('hex'));
    // The passages file is itself a FlashRAG corpus.
    const firstLine = readFileSync(join(directory, indexDataFiles.passages), 'utf8').split('\n')[0]!;
    expect(JSON.parse(firstLine)).toEqual(passages[0]);
  });

  it('can override BM25 parameters at load time', async () => {
    const loaded = await loadFlexsearchRetriever(directory, { bm25: { k1: 1.2, b: 0.75 } });
    const rebuilt = createFlexsearchRetriever(passages, {
      analyzer: { stopwords: 'english', stemmer: 'light' },
      bm25: { k1: 1.2, b: 0.75 },
    });
    expect(await loaded.search(queries, 5)).toEqual(await rebuilt.search(queries, 5));
  });
});

describe('a damaged or mismatched index throws instead of answering', () => {
  it.each(Object.values(indexDataFiles))('a flipped byte in %s: checksum mismatch naming the file', async (name) => {
    const copy = await savedCopy();
    const path = join(copy, name);
    const bytes = readFileSync(path);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(path, bytes);
    const failure = loadFlexsearchRetriever(copy);
    await expect(failure).rejects.toThrow(`${path}: checksum mismatch`);
    await expect(failure).rejects.toThrow('the file is corrupt or was changed after saving');
    await expect(failure).rejects.toSatisfy((error) => InvalidInputError.isInstance(error));
  });

  it('a truncated data file: size mismatch', async () => {
    const copy = await savedCopy();
    const path = join(copy, indexDataFiles.postings);
    const size = readFileSync(path).length;
    truncateSync(path, size - 10);
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow(
      `${path}: file is ${size - 10} bytes but the manifest says ${size}: truncated`,
    );
  });

  it('a missing data file', async () => {
    const copy = await savedCopy();
    rmSync(join(copy, indexDataFiles.documentLengths));
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow(
      `${join(copy, indexDataFiles.documentLengths)}: missing index file`,
    );
  });

  it('a truncated manifest', async () => {
    const copy = await savedCopy();
    const path = join(copy, 'manifest.json');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length / 2));
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow(
      `${path}: not valid JSON, the manifest is truncated or corrupt`,
    );
  });

  it('no manifest (not an index, or saving did not finish)', async () => {
    await expect(loadFlexsearchRetriever(join(root, 'nowhere'))).rejects.toThrow(
      'no readable manifest.json: not a saved index, or saving did not finish',
    );
  });

  it.each([
    [
      'version',
      2,
      'field "version": index format version 2 is not supported: this build of @research-ts/retriever-flexsearch reads version 1',
    ],
    ['format', 'something-else', 'field "format": not a research-ts flexsearch index (format "something-else"'],
    ['passages', -1, 'field "passages": expected a non-negative integer'],
    [
      'backend',
      { engine: 'flexsearch', frequencySlots: 16 },
      'field "backend": expected {"engine": "flexsearch", "frequencySlots": 32}',
    ],
    ['checksum', 'abc', 'field "checksum": expected a 64-digit hex SHA-256'],
    ['files', [], 'field "files": expected 3 entries'],
  ])('manifest %s = %j', async (field, value, message) => {
    const copy = await savedCopy();
    const manifest = readManifest(copy) as unknown as Record<string, unknown>;
    manifest[field] = value;
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow(message);
  });

  it('a manifest whose overall checksum does not match the files', async () => {
    const copy = await savedCopy();
    const manifest = readManifest(copy);
    manifest.checksum = '0'.repeat(64);
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow('field "checksum": checksum mismatch');
  });

  it('a manifest with bad analyzer settings', async () => {
    const copy = await savedCopy();
    const manifest = readManifest(copy);
    (manifest.analyzer as unknown as Record<string, unknown>).stemmer = 'porter';
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadFlexsearchRetriever(copy)).rejects.toThrow('bad settings: config field "analyzer.stemmer"');
  });

  it('saving where a file stands fails with a ResearchError naming the path, not a bare EEXIST', async () => {
    const file = join(await savedCopy(), 'manifest.json');
    const failure = createFlexsearchRetriever([{ id: 'only', contents: 'one passage' }]).save(file);
    await expect(failure).rejects.toThrow(
      `cannot write the index to ${file}: ${file} or a folder above it is a file, not a folder`,
    );
    await expect(failure).rejects.toSatisfy((error) => ResearchError.isInstance(error));
    await expect(createFlexsearchRetriever([{ id: 'only', contents: 'x' }]).save(join(file, 'below'))).rejects.toThrow(
      `cannot write the index to ${join(file, 'below')}: `,
    );
  });

  it('saving again over an index replaces it completely', async () => {
    const copy = await savedCopy();
    await createFlexsearchRetriever([{ id: 'only', contents: 'one passage' }]).save(copy);
    const loaded = await loadFlexsearchRetriever(copy);
    expect(loaded.stats.passages).toBe(1);
    expect(await loaded.search(['passage', 'volcano'], 3)).toEqual([
      [{ id: 'only', contents: 'one passage', score: expect.any(Number) }],
      [],
    ]);
  });
});
