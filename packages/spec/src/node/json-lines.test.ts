import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../research-error';
import { jsonLineError, readJsonLines, splitJsonLines, type JsonLine } from './json-lines';

const folder = mkdtempSync(join(tmpdir(), 'spec-json-lines-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The lines of `contents` by the streaming reader, checked equal to the whole-bytes reader's. */
async function linesOf(contents: string | Uint8Array): Promise<{ path: string; lines: JsonLine[] }> {
  const path = join(folder, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, contents);
  const lines: JsonLine[] = [];
  for await (const line of readJsonLines(path)) lines.push(line);
  expect(splitJsonLines(readFileSync(path))).toEqual(lines);
  return { path, lines };
}

describe('readJsonLines and splitJsonLines', () => {
  it('yield each value with its 1-based line, skipping blank lines', async () => {
    const { lines } = await linesOf('\uFEFF{"a":1}\r\n\n  \r[2]\n"three"');
    expect(lines).toEqual([
      { line: 1, ok: true, value: { a: 1 } },
      { line: 4, ok: true, value: [2] },
      { line: 5, ok: true, value: 'three' },
    ]);
  });

  it('name a bad line by its number, as data; jsonLineError makes it an error naming the file', async () => {
    const { path, lines } = await linesOf('{"a":1}\n\n{"b": oops}\n{"c":3}\n');
    expect(lines.map((line) => [line.line, line.ok])).toEqual([
      [1, true],
      [3, false],
      [4, true],
    ]);
    const bad = lines[1]!;
    if (bad.ok) throw new Error('line 3 parsed');
    expect(bad).toMatchObject({ truncated: false, invalidUtf8: false });
    expect(bad.reason).toMatch(/^invalid JSON \(.+\)$/);
    const error = jsonLineError(path, bad);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect([error.source, error.line]).toEqual([path, 3]);
    expect(error.message).toMatch(new RegExp(`^${path.replaceAll('/', '\\/')}, line 3: invalid JSON \\(`));
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('say when a file ends inside a bad line: truncated', async () => {
    const { lines } = await linesOf('{"a":1}\n{"b":2,"c');
    expect(lines[1]).toMatchObject({ line: 2, ok: false, truncated: true });
    expect(lines[1]!.ok || lines[1]!.reason).toMatch(/; the file ends inside this line, so it looks truncated$/);
    // The same line followed by a line break is bad JSON, not a torn write.
    const { lines: ended } = await linesOf('{"a":1}\n{"b":2,"c\n');
    expect(ended[1]).toMatchObject({ line: 2, ok: false, truncated: false });
    expect(ended[1]!.ok || ended[1]!.reason).not.toMatch(/truncated/);
    // A complete last line without a line break is a value like the others.
    expect((await linesOf('{"a":1}\n{"b":2}')).lines[1]).toEqual({ line: 2, ok: true, value: { b: 2 } });
  });

  it('report bytes that are not UTF-8 as their own kind of bad line', async () => {
    const { lines } = await linesOf(
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}\n')]),
    );
    expect(lines).toEqual([
      { line: 1, ok: false, reason: 'invalid UTF-8: byte 0xc0 at byte offset 6', truncated: false, invalidUtf8: true },
    ]);
  });
});
