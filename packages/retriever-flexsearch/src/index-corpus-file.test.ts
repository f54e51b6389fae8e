import { InvalidInputError } from '@research-ts/spec';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { indexCorpusFile, type IndexProgress, type SkippedLine } from './index-corpus-file';

const directory = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-corpus-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function corpusFile(name: string, lines: readonly string[], separator = '\n'): string {
  const path = join(directory, name);
  writeFileSync(path, lines.join(separator) + separator);
  return path;
}

const good = (id: string | number, contents: string): string => JSON.stringify({ id, contents });

const mixedLines = [
  good('0', '"Aurora"\nThe aurora glows green.'), // 1
  '{"id": "1", "contents": "unterminated', // 2 invalid JSON
  '', // 3 blank: ignored
  good(2, '"Volcano"\nA volcano erupts.'), // 4 numeric id
  JSON.stringify({ contents: 'no id' }), // 5
  JSON.stringify({ id: 'x', contents: 42 }), // 6
  JSON.stringify(['0', 'array']), // 7
  good('0', 'duplicate of line 1'), // 8
  JSON.stringify({ id: null, contents: 'null id' }), // 9
  '   ', // 10 blank
  good('3', '"Glacier"\nA glacier is ice.'), // 11
];

describe('indexCorpusFile', () => {
  it('indexes the good lines and reports each malformed one with its line number', async () => {
    const path = corpusFile('mixed.jsonl', mixedLines);
    const skippedSeen: SkippedLine[] = [];
    const result = await indexCorpusFile(path, { onSkip: (skipped) => skippedSeen.push(skipped) });
    expect(result).toMatchObject({ passages: 3, lines: 11, skipped: 6 });
    expect(result.skippedLines).toEqual(skippedSeen);
    expect(skippedSeen.map(({ line, field, reason }) => [line, field, reason.replace(/ \(.*\)$/, ' (…)')])).toEqual([
      [2, '', 'invalid JSON (…)'],
      [5, 'id', 'expected a non-empty string or a finite number, got nothing'],
      [6, 'contents', 'expected a string, got 42'],
      [7, '', 'expected an object with "id" and "contents"'],
      [8, 'id', 'duplicate id "0" (…)'],
      [9, 'id', 'expected a non-empty string or a finite number, got null'],
    ]);
    expect(skippedSeen.every((skipped) => skipped.source === path)).toBe(true);
  });

  it('throws InvalidInputError naming the file and line with onError: "throw"', async () => {
    const path = corpusFile('throw.jsonl', mixedLines);
    const failure = indexCorpusFile(path, { onError: 'throw' });
    await expect(failure).rejects.toThrow(`${path}, line 2: invalid JSON`);
    await expect(failure).rejects.toSatisfy(
      (error) => InvalidInputError.isInstance(error) && (error as InvalidInputError).line === 2,
    );
    const noId = corpusFile('no-id.jsonl', [good('a', 'x'), JSON.stringify({ contents: 'y' })]);
    await expect(indexCorpusFile(noId, { onError: 'throw' })).rejects.toThrow(
      `${noId}, line 2, field "id": expected a non-empty string or a finite number, got nothing`,
    );
    const duplicate = corpusFile('duplicate.jsonl', [good('a', 'x'), good('b', 'y'), good('a', 'z')]);
    await expect(indexCorpusFile(duplicate, { onError: 'throw' })).rejects.toThrow(
      `${duplicate}, line 3, field "id": duplicate id "a" (already used by indexed passage 1)`,
    );
  });

  it('searches what it indexed (numeric ids as strings)', async () => {
    const { retriever } = await indexCorpusFile(corpusFile('search.jsonl', mixedLines));
    const [volcano, aurora] = await retriever.search(['volcano', 'aurora green'], 3);
    expect(volcano!.map((passage) => passage.id)).toEqual(['2']);
    expect(aurora![0]!.contents).toBe('"Aurora"\nThe aurora glows green.');
  });

  it('calls onProgress every progressInterval passages and once at the end', async () => {
    const lines = Array.from({ length: 25 }, (_, index) => good(index, `passage number ${index}`));
    lines.splice(10, 0, 'not json');
    const path = corpusFile('progress.jsonl', lines);
    const calls: IndexProgress[] = [];
    await indexCorpusFile(path, { progressInterval: 10, onProgress: (progress) => calls.push({ ...progress }) });
    expect(calls.map(({ passages, lines, skipped, done }) => ({ passages, lines, skipped, done }))).toEqual([
      { passages: 10, lines: 10, skipped: 0, done: false },
      { passages: 20, lines: 21, skipped: 1, done: false },
      { passages: 25, lines: 26, skipped: 1, done: true },
    ]);
    const last = calls.at(-1)!;
    expect(last.bytesRead).toBe(last.totalBytes);
    expect(last.totalBytes).toBeGreaterThan(0);
    calls.slice(0, -1).forEach((call) => expect(call.totalBytes).toBe(last.totalBytes));
  });

  it('reads CRLF line ends, a byte-order mark and gzip files', async () => {
    const lines = [good('a', 'alpha'), good('b', 'beta')];
    const crlf = join(directory, 'crlf.jsonl');
    writeFileSync(crlf, `\ufeff${lines.join('\r\n')}\r\n`);
    expect(await indexCorpusFile(crlf)).toMatchObject({ passages: 2, skipped: 0 });
    const gzip = join(directory, 'corpus.jsonl.gz');
    writeFileSync(gzip, gzipSync(`${lines.join('\n')}\n`));
    const result = await indexCorpusFile(gzip);
    expect(result).toMatchObject({ passages: 2, skipped: 0 });
    expect((await result.retriever.search(['beta'], 1))[0]![0]!.id).toBe('b');
  });

  it('fails clearly for a missing file or a bad onError', async () => {
    const missing = join(directory, 'missing.jsonl');
    await expect(indexCorpusFile(missing)).rejects.toThrow(`${missing}: cannot read the corpus file: ENOENT`);
    await expect(indexCorpusFile(missing, { onError: 'ignore' as never })).rejects.toThrow(
      `field "onError": expected 'skip' or 'throw', got "ignore"`,
    );
  });

  it('stops when the signal aborts, before or while reading', async () => {
    const path = corpusFile(
      'abort.jsonl',
      Array.from({ length: 3000 }, (_, index) => good(index, 'text')),
    );
    const aborted = new AbortController();
    aborted.abort(new Error('cancelled early'));
    await expect(indexCorpusFile(path, { signal: aborted.signal })).rejects.toThrow('cancelled early');

    const controller = new AbortController();
    const seen: number[] = [];
    const reading = indexCorpusFile(path, {
      signal: controller.signal,
      progressInterval: 100,
      onProgress: ({ passages }) => {
        seen.push(passages);
        controller.abort(new Error('cancelled while reading'));
      },
    });
    await expect(reading).rejects.toThrow('cancelled while reading');
    expect(seen[0]).toBe(100);
    expect(seen.at(-1)!).toBeLessThan(3000);
  });
});
