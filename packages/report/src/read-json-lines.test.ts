import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonLines } from './read-json-lines';

const directory = mkdtempSync(join(tmpdir(), 'read-json-lines-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function readAll(text: string) {
  const file = join(directory, 'lines.jsonl');
  writeFileSync(file, text);
  const lines = [];
  for await (const line of readJsonLines(file)) lines.push(line);
  return lines;
}

describe('readJsonLines', () => {
  it('yields each object with its 1-based line, skipping blank lines', async () => {
    expect(await readAll('\uFEFF{"a":1}\r\n\n  \r{"b":2}')).toEqual([
      { line: 1, ok: true, value: { a: 1 } },
      { line: 4, ok: true, value: { b: 2 } },
    ]);
  });

  it('reports malformed lines and non-objects as data', async () => {
    const lines = await readAll('{"a":\n[1, 2]\nnull\n3\n');
    expect(lines.map((line) => [line.line, line.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, false],
    ]);
    expect(lines[0]).toMatchObject({ reason: expect.stringMatching(/^invalid JSON/) });
    expect(lines.slice(1).map((line) => (line.ok ? '' : line.reason))).toEqual([
      'not a JSON object (an array)',
      'not a JSON object (null)',
      'not a JSON object (number)',
    ]);
  });

  it('says when the file ends inside a bad line (a run still writing it)', async () => {
    const lines = await readAll('{"a":1}\n{"b":');
    expect(lines[1]).toMatchObject({ line: 2, ok: false });
    expect(lines[1]!.ok || lines[1]!.reason).toMatch(/^invalid JSON \(.+\); the file ends inside this line/);
  });
});
