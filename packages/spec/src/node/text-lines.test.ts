import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../research-error';
import { decodeUtf8Text, isBlankLine, readTextLines, splitTextLines, type TextLine } from './text-lines';

const folder = mkdtempSync(join(tmpdir(), 'spec-text-lines-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let count = 0;
function file(contents: string | Uint8Array, extension = '.txt'): string {
  const path = join(folder, `${(count += 1)}${extension}`);
  writeFileSync(path, contents);
  return path;
}

async function read(path: string): Promise<TextLine[]> {
  const lines: TextLine[] = [];
  for await (const line of readTextLines(path)) lines.push(line);
  return lines;
}

/** Both readers, which must agree: the stream and the whole-bytes split. */
async function bothReaders(contents: string | Uint8Array): Promise<TextLine[]> {
  const streamed = await read(file(contents));
  expect(splitTextLines(typeof contents === 'string' ? Buffer.from(contents) : contents)).toEqual(streamed);
  return streamed;
}

const texts = (lines: TextLine[]) => lines.map((line) => line.text);

describe('readTextLines and splitTextLines', () => {
  it('break at \\n, \\r\\n and a lone \\r, numbering every line from 1', async () => {
    for (const contents of ['a\nb\nc\n', 'a\r\nb\r\nc\r\n', 'a\rb\rc\r', 'a\nb\r\nc']) {
      expect(texts(await bothReaders(contents)), JSON.stringify(contents)).toEqual(['a', 'b', 'c']);
    }
    const lines = await bothReaders('\n  \n\tx\r\r\n');
    expect(lines.map(({ number, text }) => [number, text])).toEqual([
      [1, ''],
      [2, '  '],
      [3, '\tx'],
      [4, ''],
    ]);
    expect(await bothReaders('')).toEqual([]);
  });

  it('mark only a last line the file ends inside as not terminated', async () => {
    expect((await bothReaders('a\nb')).map((line) => line.terminated)).toEqual([true, false]);
    expect((await bothReaders('a\nb\n')).map((line) => line.terminated)).toEqual([true, true]);
    expect((await bothReaders('a\nb\r')).map((line) => line.terminated)).toEqual([true, true]);
  });

  it('drop a byte-order mark at the start only; a file of just one holds no line', async () => {
    expect(texts(await bothReaders('\uFEFFa\n\uFEFFb\n'))).toEqual(['a', '\uFEFFb']);
    expect(await bothReaders('\uFEFF')).toEqual([]);
  });

  it('keep \\r\\n one break, and characters whole, across read chunks', async () => {
    // Chunks are 256 KiB: put the \r as the last byte of the first chunk and a 3-byte character across the second.
    const chunk = 256 * 1024;
    const first = `${'x'.repeat(chunk - 1)}\r\n`;
    const second = `${'y'.repeat(chunk - 2)}\u20ac tail\n`;
    const lines = await bothReaders(first + second);
    expect(lines.map((line) => line.text.length)).toEqual([chunk - 1, chunk - 2 + 6]);
    expect(lines[1]!.text.endsWith('\u20ac tail')).toBe(true);
    expect(lines.every((line) => line.invalidUtf8 === undefined)).toBe(true);
  });

  it('report bytes that are not UTF-8 on their line, with the byte offset, and a file cut inside a character', async () => {
    const good = Buffer.from('first\n"caf');
    const lines = await bothReaders(Buffer.concat([good, Buffer.from([0xff]), Buffer.from('"\nlast\n')]));
    expect(lines.map((line) => line.invalidUtf8)).toEqual([
      undefined,
      `invalid UTF-8: byte 0xff at byte offset ${good.length}`,
      undefined,
    ]);
    expect(lines[1]!.text).toBe('"caf\uFFFD"');
    const cut = Buffer.from('a\n"\u00e9').subarray(0, -1);
    expect((await bothReaders(cut)).at(-1)!.invalidUtf8).toBe('the file ends inside a multi-byte character');
    const cutThenBreak = Buffer.concat([cut, Buffer.from('\n')]);
    expect((await bothReaders(cutThenBreak)).at(-1)!.invalidUtf8).toBe('invalid UTF-8: byte 0xc3 at byte offset 3');
  });

  it('gunzip .gz files, count the bytes read, and name a file that cannot be read', async () => {
    const path = file(gzipSync('a\r\nb\n'), '.txt.gz');
    let bytesRead = 0;
    const lines: string[] = [];
    for await (const line of readTextLines(path, { onRead: (bytes) => (bytesRead += bytes) })) lines.push(line.text);
    expect(lines).toEqual(['a', 'b']);
    expect(bytesRead).toBe(statSync(path).size);
    const broken = file(gzipSync('a\n').subarray(0, 12), '.gz');
    await expect(read(broken)).rejects.toThrow(`${broken}: cannot read the file: `);
    const missing = join(folder, 'absent.txt');
    const error = await read(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).source).toBe(missing);
    expect((error as Error).message).toMatch(/cannot read the file: ENOENT/);
  });

  it('close the file when the consumer stops early', async () => {
    const path = file('a\nb\nc\n');
    for await (const line of readTextLines(path)) {
      expect(line.text).toBe('a');
      break;
    }
    expect(texts(await read(path))).toEqual(['a', 'b', 'c']);
  });
});

describe('isBlankLine', () => {
  it('is true for JSON whitespace only', () => {
    expect(['', ' ', '\t \t'].map(isBlankLine)).toEqual([true, true, true]);
    expect(['\u00a0', ' x', '\uFEFF'].map(isBlankLine)).toEqual([false, false, false]);
  });
});

describe('decodeUtf8Text', () => {
  it('drops a byte-order mark and names the line and offset of a bad byte', () => {
    expect(decodeUtf8Text(Buffer.from('\uFEFF[1,\n2]'), 'a.json')).toBe('[1,\n2]');
    const bytes = Buffer.concat([Buffer.from('\uFEFF[1,\n"x'), Buffer.from([0xfe]), Buffer.from('"]')]);
    expect(() => decodeUtf8Text(bytes, 'a.json')).toThrow('a.json, line 2: invalid UTF-8: byte 0xfe at byte offset 9');
  });
});
