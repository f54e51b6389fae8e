import { InvalidInputError } from '@research-ts/spec';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../test/shared-corpus';
import { writeCompactIndex } from './build-compact-index';
import { compactIndexFiles, type CompactIndexManifest } from './compact-index-manifest';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';
import { loadFlexsearchRetriever } from './load-flexsearch-retriever';
import { openCompactIndex } from './open-compact-index';
import { openSavedRetriever } from './open-saved-retriever';

const root = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-compact-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const passages = [
  { id: 'aurora', contents: '"Aurora"\nThe aurora glows green over the northern sky in winter.' },
  { id: 'volcano', contents: '"Volcano"\nA volcano erupts molten rock, ash and gas from a magma chamber.' },
  { id: 'glacier', contents: '"Glacier"\nA glacier is a slow river of ice carving valleys.' },
  { id: 'zurich', contents: '"Zürich"\nZürich and 東京 are cities; Zürich’s lake is cold.' },
  { id: 'echo', contents: `"Echo"\n${'echo '.repeat(50)}canyon` },
  { id: 'empty', contents: '' },
];
/** Every term of the corpus: a search for it reads every dictionary block, posting list and passage. */
const everything = passages.map((passage) => passage.contents).join(' ');

let counter = 0;
async function savedCopy(): Promise<string> {
  const copy = join(root, `copy-${counter++}`);
  await writeCompactIndex(copy, passages);
  return copy;
}

function flipMiddleByte(path: string): void {
  const bytes = readFileSync(path);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0x01;
  writeFileSync(path, bytes);
}

describe('openCompactIndex', () => {
  it('answers like the in-memory index; verify() passes; openSavedRetriever opens both layouts', async () => {
    const directory = await savedCopy();
    const compact = await openCompactIndex(directory, { name: 'compact' });
    const memory = createFlexsearchRetriever(passages);
    const queries = ['volcano ash', 'the', 'zürich', '東京', 'echo canyon', everything];
    expect(await compact.search(queries, 10)).toEqual(await memory.search(queries, 10));
    await compact.verify();
    expect(compact.name).toBe('compact');
    await compact.close();
    await expect(compact.search(['the'], 1)).rejects.toThrow('the index was closed');

    const saved = join(root, 'in-memory-layout');
    await memory.save(saved);
    const reopened = await openSavedRetriever(saved);
    expect(await reopened.search(queries, 3)).toEqual(await memory.search(queries, 3));
    const viaEither = await openSavedRetriever(directory, { bm25: { k1: 1.2, b: 0.75 } });
    expect(await viaEither.search(queries, 4)).toEqual(
      await createFlexsearchRetriever(passages, { bm25: { k1: 1.2, b: 0.75 } }).search(queries, 4),
    );
    await (viaEither as { close(): Promise<void> }).close();
  });

  it('a version-1 index (no block maxima) still opens and answers like the in-memory index', async () => {
    const directory = fileURLToPath(new URL('./__fixtures__/compact-index-v1', import.meta.url));
    const memory = createFlexsearchRetriever(readCorpus(join(directory, compactIndexFiles.passages)));
    const queries = ['v0', 'v1 v2 v3', 'v0 v0 v5 t3', 'v1k v2 v3 v4 v5 v6 v7 v8 v9', 'absent', 'T2 v9'];
    for (const queryEvaluation of ['block-max', 'term-at-a-time'] as const) {
      const compact = await openCompactIndex(directory, { queryEvaluation });
      try {
        expect(compact.stats.passages).toBe(300);
        for (const k of [1, 5, 100])
          expect(await compact.search(queries, k), `${queryEvaluation}, k = ${k}`).toEqual(
            await memory.search(queries, k),
          );
        await compact.verify();
      } finally {
        await compact.close();
      }
    }
  });

  it('each layout refuses the other by name', async () => {
    const directory = await savedCopy();
    await expect(loadFlexsearchRetriever(directory)).rejects.toThrow(
      'field "format": a compact index: open it with openCompactIndex',
    );
    const saved = join(root, 'other-layout');
    await createFlexsearchRetriever(passages).save(saved);
    await expect(openCompactIndex(saved)).rejects.toThrow(
      'field "format": an in-memory flexsearch index: load it with loadFlexsearchRetriever',
    );
  });
});

describe('a damaged compact index throws an error naming the file', () => {
  it.each([compactIndexFiles.documentLengths, compactIndexFiles.idRanks, compactIndexFiles.dictionaryIndex])(
    'a flipped byte in %s (read whole at open): checksum mismatch at open',
    async (name) => {
      const copy = await savedCopy();
      const path = join(copy, name);
      flipMiddleByte(path);
      const failure = openCompactIndex(copy);
      await expect(failure).rejects.toThrow(`${path}: checksum mismatch`);
      await expect(failure).rejects.toSatisfy((error) => InvalidInputError.isInstance(error));
    },
  );

  it.each([
    [compactIndexFiles.dictionary, compactIndexFiles.dictionary],
    [compactIndexFiles.postings, compactIndexFiles.postings],
    [compactIndexFiles.passages, compactIndexFiles.passageOffsets],
    [compactIndexFiles.passageOffsets, compactIndexFiles.passageOffsets],
  ])(
    'a flipped byte in %s (read lazily): the search that reads it fails, and verify() names it',
    async (name, named) => {
      const copy = await savedCopy();
      const path = join(copy, name);
      flipMiddleByte(path);
      const retriever = await openCompactIndex(copy);
      try {
        await expect(retriever.search([everything], passages.length)).rejects.toThrow(named);
        await expect(retriever.search([everything], passages.length)).rejects.toSatisfy((error) =>
          InvalidInputError.isInstance(error),
        );
        await expect(retriever.verify()).rejects.toThrow(`${path}: checksum mismatch`);
      } finally {
        await retriever.close();
      }
    },
  );

  it("a flipped bit in a posting list's block maxima: checksum mismatch naming postings.bin", async () => {
    const copy = await savedCopy();
    const path = join(copy, compactIndexFiles.postings);
    const bytes = readFileSync(path);
    // The first list starts at byte 0: blockCount, last documents, offsets, then the block maxima.
    const blockCount = bytes.readUInt32LE(0);
    bytes[4 * (1 + 2 * blockCount)] = bytes[4 * (1 + 2 * blockCount)]! ^ 0x01;
    writeFileSync(path, bytes);
    const retriever = await openCompactIndex(copy);
    try {
      await expect(retriever.search([everything], 3)).rejects.toThrow(
        `${path}: checksum mismatch in the postings at byte 0`,
      );
    } finally {
      await retriever.close();
    }
  });

  it.each(Object.values(compactIndexFiles))('%s truncated: size mismatch at open', async (name) => {
    const copy = await savedCopy();
    const path = join(copy, name);
    const size = readFileSync(path).length;
    truncateSync(path, size - 1);
    await expect(openCompactIndex(copy)).rejects.toThrow(
      `${path}: file is ${size - 1} bytes but the manifest says ${size}: truncated`,
    );
  });

  it('a file truncated while the index is open: the read that runs short says so', async () => {
    const copy = await savedCopy();
    const retriever = await openCompactIndex(copy);
    try {
      const path = join(copy, compactIndexFiles.postings);
      truncateSync(path, 1);
      await expect(retriever.search([everything], 3)).rejects.toThrow(`${path}: file ends at byte `);
    } finally {
      await retriever.close();
    }
  });

  it('a missing file, a truncated manifest, no manifest', async () => {
    const copy = await savedCopy();
    rmSync(join(copy, compactIndexFiles.postings));
    await expect(openCompactIndex(copy)).rejects.toThrow(
      `${join(copy, compactIndexFiles.postings)}: missing index file`,
    );
    const manifestPath = join(copy, 'manifest.json');
    const text = readFileSync(manifestPath, 'utf8');
    writeFileSync(manifestPath, text.slice(0, text.length / 2));
    await expect(openCompactIndex(copy)).rejects.toThrow(`${manifestPath}: not valid JSON, the manifest is truncated`);
    await expect(openCompactIndex(join(root, 'nowhere'))).rejects.toThrow('no readable manifest.json');
  });

  it.each([
    [
      'version',
      3,
      'field "version": compact index version 3 is not supported: this build of @research-ts/retriever-flexsearch reads versions 1 and 2',
    ],
    ['format', 'something-else', 'field "format": not a research-ts compact index'],
    ['terms', -1, 'field "terms": expected a non-negative integer'],
    ['files', [], 'field "files": expected 7 entries'],
  ])('manifest %s = %j', async (field, value, message) => {
    const copy = await savedCopy();
    const manifestPath = join(copy, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CompactIndexManifest & Record<string, unknown>;
    manifest[field] = value;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await expect(openCompactIndex(copy)).rejects.toThrow(message);
  });
});
