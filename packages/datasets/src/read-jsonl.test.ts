import { gzipSync } from 'node:zlib';
import { InvalidInputError, ResearchError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { temporaryFolder } from './__fixtures__/temporary-files';
import { readJsonl } from './read-jsonl';
import { readQuestionsJsonl } from './read-questions-jsonl';

const files = temporaryFolder('read-jsonl');
const numbered = z.object({ n: z.number() });

function question(id: string, text = `question ${id}`, answers: unknown = [`answer ${id}`]): string {
  return JSON.stringify({ id, question: text, golden_answers: answers });
}

async function caught(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    expect(ResearchError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the read to fail');
}

describe('readJsonl line handling', () => {
  it('reads LF, CRLF and lone-CR files alike, with or without a final newline', async () => {
    const lines = ['{"n":1}', '{"n":2}', '{"n":3}'];
    for (const [name, content] of [
      ['lf.jsonl', `${lines.join('\n')}\n`],
      ['crlf.jsonl', `${lines.join('\r\n')}\r\n`],
      ['cr.jsonl', lines.join('\r')],
      ['no-final-newline.jsonl', lines.join('\n')],
      ['crlf-no-final-newline.jsonl', lines.join('\r\n')],
    ] as const) {
      const stream = readJsonl(files.write(name, content), numbered);
      expect(await stream.toArray(), name).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(stream.stats, name).toMatchObject({ entries: 3, records: 3, blankLines: 0, skipped: 0, done: true });
    }
  });

  it('drops a UTF-8 byte-order mark at the start and keeps line numbers', async () => {
    const path = files.write('bom.jsonl', `\uFEFF${question('a')}\n{"id":"b"}\n`);
    const first = await readQuestionsJsonl(path)
      .toArray()
      .catch((error: unknown) => error);
    expect((first as InvalidInputError).line).toBe(2);
    const stream = readQuestionsJsonl(path, { onError: 'skip' });
    expect((await stream.toArray()).map((example) => example.id)).toEqual(['a']);
    // A file that is only a byte-order mark holds nothing.
    expect(await readQuestionsJsonl(files.write('only-bom.jsonl', '\uFEFF')).toArray()).toEqual([]);
  });

  it('skips blank and whitespace-only lines silently and counts them, numbering lines physically', async () => {
    const path = files.write('blank.jsonl', `\n${question('a')}\n   \n\t\r\n${question('b')}\n\n{"id":"c"}\n`);
    const stream = readQuestionsJsonl(path, { onError: 'skip' });
    expect((await stream.toArray()).map((example) => example.id)).toEqual(['a', 'b']);
    expect(stream.stats).toMatchObject({ entries: 7, records: 2, blankLines: 4, skipped: 1, done: true });
    expect(stream.stats.errors[0]!.message).toBe(`${path}, line 7, field "question": missing (and 1 more problem)`);
    // A line of non-JSON whitespace (a no-break space) is not blank: it is bad JSON.
    const nbsp = files.write('nbsp.jsonl', `${question('a')}\n\u00a0\n`);
    expect((await caught(readQuestionsJsonl(nbsp).toArray())).line).toBe(2);
  });

  it('names file and line of bad JSON, and stops there by default', async () => {
    const path = files.write(
      'bad-json.jsonl',
      `${question('a')}\n${question('b')}\n{"id": "c", question: 1}\n${question('d')}\n`,
    );
    const seen: string[] = [];
    const error = await caught(
      (async () => {
        for await (const example of readQuestionsJsonl(path)) seen.push(example.id);
      })(),
    );
    expect(seen).toEqual(['a', 'b']);
    expect(error.line).toBe(3);
    expect(error.source).toBe(path);
    expect(error.field).toBeUndefined();
    expect(error.message).toMatch(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, line 3: invalid JSON \\(.+\\)$`),
    );
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it("with onError 'skip' counts and keeps every skipped line's error and calls onSkip", async () => {
    const path = files.write(
      'mixed.jsonl',
      [question('a'), '{oops', question('b'), '{"id":"c","question":"q","golden_answers":[1]}', '', question('d')].join(
        '\n',
      ),
    );
    const skippedLines: number[] = [];
    const stream = readQuestionsJsonl(path, { onError: 'skip', onSkip: (error) => skippedLines.push(error.line!) });
    expect((await stream.toArray()).map((example) => example.id)).toEqual(['a', 'b', 'd']);
    expect(skippedLines).toEqual([2, 4]);
    expect(stream.stats).toMatchObject({ entries: 6, records: 3, blankLines: 1, skipped: 2, done: true });
    expect(stream.stats.errors.map((error) => [error.line, error.field])).toEqual([
      [2, undefined],
      [4, 'golden_answers.0'],
    ]);
    const { entries, records, skipped, blankLines } = stream.stats;
    expect(entries).toBe(records + skipped + blankLines);
  });

  it('keeps at most maxKeptErrors errors but counts every skip', async () => {
    const path = files.write('many-bad.jsonl', ['x', 'y', 'z', question('a'), 'w'].join('\n'));
    const stream = readQuestionsJsonl(path, { onError: 'skip', maxKeptErrors: 2 });
    expect(await stream.toArray()).toHaveLength(1);
    expect(stream.stats.skipped).toBe(4);
    expect(stream.stats.errors.map((error) => error.line)).toEqual([1, 2]);
  });

  it('an error thrown by onSkip ends the read', async () => {
    const path = files.write('abort.jsonl', ['x', question('a')].join('\n'));
    const stop = new Error('stop here');
    await expect(
      readQuestionsJsonl(path, {
        onError: 'skip',
        onSkip: () => {
          throw stop;
        },
      }).toArray(),
    ).rejects.toBe(stop);
  });

  it('says when a bad last line has no newline: a truncated file', async () => {
    const truncated = `${question('a')}\n${question('b')}\n{"id": "c", "question": "who`;
    const path = files.write('truncated.jsonl', truncated);
    const error = await caught(readQuestionsJsonl(path).toArray());
    expect(error.line).toBe(3);
    expect(error.message).toMatch(
      /line 3: invalid JSON \(.+\); the file ends inside this line, so it looks truncated$/,
    );
    const stream = readQuestionsJsonl(path, { onError: 'skip' });
    expect(await stream.toArray()).toHaveLength(2);
    expect(stream.stats).toMatchObject({ entries: 3, records: 2, skipped: 1 });
    // The same bad line followed by a newline is only bad JSON.
    const ended = await caught(readQuestionsJsonl(files.write('bad-last.jsonl', `${truncated}\n`)).toArray());
    expect(ended.message).not.toMatch(/truncated/);
  });

  it('a final line without newline is a record like the others', async () => {
    const path = files.write('no-newline.jsonl', `${question('a')}\n${question('b')}`);
    const stream = readQuestionsJsonl(path);
    expect((await stream.toArray()).map((example) => example.id)).toEqual(['a', 'b']);
    expect(stream.stats.entries).toBe(2);
  });

  it('rejects invalid UTF-8 with its line and byte offset instead of replacing it', async () => {
    const good = Buffer.from(`${question('a')}\n{"id":"b","question":"caf`);
    const bytes = Buffer.concat([good, Buffer.from([0xff]), Buffer.from('","golden_answers":["x"]}\n')]);
    const path = files.write('latin1.jsonl', bytes);
    const error = await caught(readQuestionsJsonl(path, { onError: 'skip' }).toArray());
    expect(error.line).toBe(2);
    expect(error.problem).toBe(`invalid UTF-8: byte 0xff at byte offset ${good.length}`);
    // A file cut inside a multi-byte character.
    const cut = files.write('cut.jsonl', Buffer.concat([Buffer.from(`${question('a')}\n"\u00e9`).subarray(0, -1)]));
    expect((await caught(readQuestionsJsonl(cut).toArray())).problem).toBe(
      'the file ends inside a multi-byte character',
    );
  });

  it('decodes multi-byte characters that straddle read chunks', async () => {
    // 256 KiB chunks; lines of 2-, 3- and 4-byte characters put character boundaries at every offset mod 4.
    const lines: string[] = [];
    for (let index = 0; index < 4000; index += 1) {
      lines.push(question(`q${index}`, `${'é€𝄞'.repeat(20 + (index % 7))} ${index}`, ['Röntgen']));
    }
    const path = files.write('multibyte.jsonl', `${lines.join('\n')}\n`);
    const examples = await readQuestionsJsonl(path).toArray();
    expect(examples).toHaveLength(4000);
    expect(examples.every((example, index) => example.question === `${'é€𝄞'.repeat(20 + (index % 7))} ${index}`)).toBe(
      true,
    );
  });

  it('reads gzip files (path ending in .gz) and reports broken gzip as InvalidInputError', async () => {
    const path = files.write('questions.jsonl.gz', gzipSync(`${question('a')}\r\n${question('b')}`));
    expect((await readQuestionsJsonl(path).toArray()).map((example) => example.id)).toEqual(['a', 'b']);
    const broken = files.write('broken.jsonl.gz', gzipSync(`${question('a')}\n`).subarray(0, 12));
    const error = await caught(readQuestionsJsonl(broken).toArray());
    expect(error.message).toMatch(new RegExp(`broken\\.jsonl\\.gz: cannot read the file: `));
  });

  it('a missing file is an InvalidInputError naming it', async () => {
    const missing = files.path('absent.jsonl');
    const error = await caught(readQuestionsJsonl(missing).toArray());
    expect(error.source).toBe(missing);
    expect(error.message).toMatch(/cannot read the file: ENOENT/);
  });

  it('stops cleanly when the consumer breaks, and a second pass starts over with fresh stats', async () => {
    const path = files.write('restart.jsonl', [question('a'), question('b'), question('c')].join('\n'));
    const stream = readQuestionsJsonl(path);
    for await (const example of stream) {
      expect(example.id).toBe('a');
      break;
    }
    expect(stream.stats).toMatchObject({ entries: 1, records: 1, done: false });
    expect((await stream.toArray()).map((example) => example.id)).toEqual(['a', 'b', 'c']);
    expect(stream.stats).toMatchObject({ entries: 3, records: 3, done: true });
  });

  it('validates with any zod schema, reporting the zod path', async () => {
    const path = files.write('generic.jsonl', '{"n":1}\n{"n":"2"}\n');
    const error = await caught(readJsonl(path, numbered).toArray());
    expect([error.line, error.field]).toEqual([2, 'n']);
  });
});
