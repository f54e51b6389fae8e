import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassageFile } from '@research-ts/spec/node';
import { afterAll, describe, expect, it } from 'vitest';
import { readCorpus } from '../test/shared-corpus';
import { buildCompactIndex, writeCompactIndex } from './build-compact-index';
import { compactIndexFiles } from './compact-index-manifest';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';
import { indexCorpusFile } from './index-corpus-file';
import { openCompactIndex } from './open-compact-index';
import { openSavedRetriever } from './open-saved-retriever';
import { seededRandom } from '../test/known-item-queries';

const root = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-compact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A corpus with what can go wrong: equal scores (same words, same length, ids that sort differently as
 * strings than as numbers), frequencies of 32 and more, non-ASCII and possessive text, an empty passage,
 * terms whose UTF-8 and UTF-16 orders differ, and a Zipf-like vocabulary so that pruning applies.
 */
function tieCorpus(): Array<{ id: string; contents: string }> {
  const random = seededRandom(7);
  const vocabulary = Array.from({ length: 300 }, (_, rank) => `w${rank.toString(36)}`);
  const passages: Array<{ id: string; contents: string }> = [];
  for (let index = 0; index < 400; index += 1) {
    const words: string[] = [];
    const length = 5 + Math.floor(random() * 30);
    for (let word = 0; word < length; word += 1) words.push(vocabulary[Math.floor(vocabulary.length * random() ** 3)]!);
    passages.push({ id: `p${index}`, contents: `"T${index % 17}"\n${words.join(' ')}` });
  }
  for (const id of ['10', '9', '100', 'b', 'a', 'ä', '\u{1F600}x', '\uFFFDx'])
    passages.push({ id, contents: '"Twin"\nthe same twin words here' });
  passages.push({ id: 'echo', contents: `"Echo"\n${'echo '.repeat(70)}canyon` });
  passages.push({
    id: 'zurich',
    contents: '"Zürich"\nZürich and 東京 are cities; Zürich’s lake is cold. \u{1F600}x \uFFFDx',
  });
  passages.push({ id: 'empty', contents: '' });
  return passages;
}

const queries = [
  'twin words',
  'the',
  'echo canyon',
  'zürich 東京',
  'w0 w1 w2',
  'w0 w0 w5 wa',
  'w3 w1k w2b w7 w9',
  'nothing-here qqq',
  '',
  '\u{1F600}x \uFFFDx',
  'T3 w4 twin',
];

describe('compact index', () => {
  it('gives the same ids, scores and order as the in-memory index, for every k', async () => {
    const passages = tieCorpus();
    const memory = createFlexsearchRetriever(passages);
    const directory = join(root, 'ties');
    await writeCompactIndex(directory, passages);
    const compact = await openCompactIndex(directory);
    try {
      expect(compact.stats).toMatchObject(memory.stats);
      for (const k of [0, 1, 2, 3, 5, 8, 10, 50, 1000])
        expect(await compact.search(queries, k), `k = ${k}`).toEqual(await memory.search(queries, k));
      await compact.verify();
    } finally {
      await compact.close();
    }
  });

  it('an empty corpus gives an index that finds nothing', async () => {
    const directory = join(root, 'empty');
    await writeCompactIndex(directory, []);
    const compact = await openCompactIndex(directory);
    expect(await compact.search(['anything', ''], 3)).toEqual([[], []]);
    expect(compact.stats).toMatchObject({ passages: 0, terms: 0 });
    await compact.close();
  });

  it('streams a corpus file through several segments and merges them into the same index', async () => {
    const passages = Array.from({ length: 2000 }, (_, index) => ({
      id: String(index),
      contents: `"P${index}"\n${Array.from({ length: 40 }, (_, word) => `t${(index * 7 + word * word) % 5000}`).join(' ')} shared`,
    }));
    const corpus = join(root, 'corpus.jsonl');
    writeFileSync(
      corpus,
      `${passages.map((passage) => JSON.stringify(passage)).join('\n')}\nnot json\n${JSON.stringify(passages[5])}\n`,
    );
    const directory = join(root, 'segments');
    const built = await buildCompactIndex(corpus, directory, { memoryBudgetBytes: 2 ** 20 });
    expect(built.segments).toBeGreaterThan(1);
    expect(built.segments).toBeLessThan(10);
    expect(built).toMatchObject({ passages: 2000, skipped: 2 });
    const memory = await indexCorpusFile(corpus);
    const compact = await openSavedRetriever(directory);
    const sample = ['shared', 't0 t1 t4', 't4999 t17 shared', 't123 t123 t9'];
    expect(await compact.search(sample, 7)).toEqual(await memory.retriever.search(sample, 7));
    await (compact as { close(): Promise<void> }).close();
  });
});

describe('the passage files of a compact index', () => {
  const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('are written byte for byte as in the committed version-1 fixture, from its corpus', async () => {
    const fixture = fileURLToPath(new URL('./__fixtures__/compact-index-v1', import.meta.url));
    const directory = join(root, 'fixture-corpus');
    await writeCompactIndex(directory, readCorpus(join(fixture, compactIndexFiles.passages)));
    for (const name of [compactIndexFiles.passages, compactIndexFiles.passageOffsets])
      expect(readFileSync(join(directory, name)).equals(readFileSync(join(fixture, name))), name).toBe(true);
  });

  it('keep their bytes for non-ASCII text and an empty passage, and read back through the shared offset table', async () => {
    const passages = [
      { id: 'aurora', contents: '"Aurora"\nThe aurora glows green.' },
      { id: 'zurich', contents: '"Zürich"\nZürich and 東京 are cities; Zürich’s lake is cold. \u{1F600}x \uFFFDx' },
      { id: 'empty', contents: '' },
    ];
    const directory = join(root, 'pinned');
    await writeCompactIndex(directory, passages);
    const paths = {
      passages: join(directory, compactIndexFiles.passages),
      offsets: join(directory, compactIndexFiles.passageOffsets),
    };
    // Pinned: a different hash means the saved layout changed (and needs a new format version).
    expect(sha256(paths.passages)).toBe('dc9d97283461b8d540276c55f22c72eec7202f8438dfc8787c861523bdbff7b6');
    expect(sha256(paths.offsets)).toBe('7ceda59c9fb5cfd5a4f4ba4d01f55657ed9d9036c4b163c453e512b7e7a4cff3');
    const file = PassageFile.open({ ...paths, count: passages.length });
    try {
      expect(passages.map((_, index) => file.passage(index))).toEqual(passages);
    } finally {
      file.close();
    }
  });
});
