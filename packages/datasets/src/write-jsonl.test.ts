import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { researchDataPath } from './__fixtures__/research-data';
import { rejectionOf, temporaryFolder } from './__fixtures__/temporary-files';
import { toFlashRagQuestion, type QaExample } from './qa-example';
import { readCorpusJsonl } from './read-corpus-jsonl';
import { readJsonl } from './read-jsonl';
import { readQuestionArray } from './read-question-array';
import { readQuestionsJsonl } from './read-questions-jsonl';
import { writeJsonl } from './write-jsonl';
import { z } from 'zod';

const files = temporaryFolder('write');

describe('writeJsonl', () => {
  it('writes one line per record, ending in a newline, and reports counts', async () => {
    const path = files.path('plain.jsonl');
    const result = await writeJsonl(path, [{ a: 1 }, 'text with\nnewline and \u2028', [1, 2], null]);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe('{"a":1}\n"text with\\nnewline and \u2028"\n[1,2]\nnull\n');
    expect(result).toEqual({ records: 4, bytes: statSync(path).size });
    expect(await readJsonl(path, z.unknown()).toArray()).toEqual([
      { a: 1 },
      'text with\nnewline and \u2028',
      [1, 2],
      null,
    ]);
  });

  it('round-trips a shared dev set to FlashRAG JSONL and back', async () => {
    const examples = await readQuestionArray(researchDataPath('qa-dev', 'musique_dev.json')).toArray();
    const path = files.path('musique_dev.jsonl');
    await writeJsonl(path, examples.map(toFlashRagQuestion));
    expect(await readQuestionsJsonl(path).toArray()).toEqual(examples);
  });

  it('round-trips examples with metadata and corpora, from an async iterable, through gzip', async () => {
    const example: QaExample = {
      id: '7',
      question: 'q',
      goldenAnswers: ['a', 'b'],
      metadata: { level: 'hard', id: 'ignored' },
    };
    const path = files.path('with-metadata.jsonl.gz');
    await writeJsonl(path, [toFlashRagQuestion(example)]);
    expect(gunzipSync(readFileSync(path)).toString()).toBe(
      '{"level":"hard","id":"7","question":"q","golden_answers":["a","b"]}\n',
    );
    expect(await readQuestionsJsonl(path).toArray()).toEqual([{ ...example, metadata: { level: 'hard' } }]);

    const corpusPath = files.path('corpus.jsonl');
    await writeJsonl(corpusPath, readCorpusJsonl(researchDataPath('search-r1-example', 'corpus.jsonl')));
    expect(readFileSync(corpusPath, 'utf8').split('\n')).toHaveLength(11);
    expect(await readCorpusJsonl(corpusPath).toArray()).toEqual(
      await readCorpusJsonl(researchDataPath('search-r1-example', 'corpus.jsonl')).toArray(),
    );
  });

  it('replaces the file atomically: a failing record leaves the old file and no temporary file', async () => {
    const path = files.write('keep.jsonl', '{"old":true}\n');
    const before = new Set(readdirSync(files.folder));
    for (const [bad, detail] of [
      [undefined, 'record 2 cannot be written as JSON (it is undefined)'],
      [() => 1, 'record 2 cannot be written as JSON (it is function)'],
      [10n, 'record 2 cannot be written as JSON (Do not know how to serialize a BigInt)'],
    ] as const) {
      const error = await rejectionOf(writeJsonl(path, [{ a: 1 }, { a: 2 }, bad, { a: 4 }]));
      expect(error.message).toBe(`${path}: ${detail}`);
      expect(readFileSync(path, 'utf8')).toBe('{"old":true}\n');
      expect(new Set(readdirSync(files.folder))).toEqual(before);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(writeJsonl(path, [cyclic])).rejects.toThrow(
      /record 0 cannot be written as JSON \(Converting circular structure/,
    );
  });

  it('a failing source iterator leaves the old file', async () => {
    const path = files.write('source-fails.jsonl', 'old\n');
    async function* records() {
      yield { a: 1 };
      throw new Error('source broke');
    }
    await expect(writeJsonl(path, records())).rejects.toThrow('source broke');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
  });

  it('a failing record or source of a gzip file leaves the old file and no temporary file', async () => {
    const path = files.write('keep.jsonl.gz', 'old\n');
    const before = new Set(readdirSync(files.folder));
    await expect(writeJsonl(path, [{ a: 1 }, undefined])).rejects.toThrow(
      `${path}: record 1 cannot be written as JSON (it is undefined)`,
    );
    async function* records() {
      yield { a: 1 };
      throw new Error('source broke');
    }
    await expect(writeJsonl(path, records())).rejects.toThrow('source broke');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(new Set(readdirSync(files.folder))).toEqual(before);
  });

  it('writes an empty file for no records and fails on a missing folder', async () => {
    const path = files.path('empty.jsonl');
    expect(await writeJsonl(path, [])).toEqual({ records: 0, bytes: 0 });
    expect(readFileSync(path, 'utf8')).toBe('');
    await expect(writeJsonl(files.path('no/such/folder.jsonl'), [1])).rejects.toThrow(/ENOENT/);
  });

  it('writes many records across batches', async () => {
    const path = files.path('many.jsonl');
    const records = Array.from({ length: 20_000 }, (_, index) => ({
      id: String(index),
      contents: `"T${index}"\n${'x'.repeat(index % 50)}`,
    }));
    const result = await writeJsonl(path, records);
    expect(result.records).toBe(20_000);
    expect(await readCorpusJsonl(path).toArray()).toEqual(records);
  });
});
