import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { PassageFile } from '@research-ts/spec/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../test/temporary-directory';
import { passagesFromFile, passagesInMemory } from './passage-store';
import { scanPassageLines } from './scan-passage-lines';

let root: Awaited<ReturnType<typeof temporaryDirectory>>;
beforeAll(async () => {
  root = await temporaryDirectory('scan');
});
afterAll(async () => {
  await root.remove();
});

const passages = [
  { id: 'a', contents: '"A"\nfirst' },
  { id: 'b', contents: 'ünïcode — and "quotes"' },
  { id: 'c', contents: '' },
];
const lines = passages.map((passage) => JSON.stringify(passage));

/** The bytes of every file chunk a store's `savedFiles` gives: `passages.jsonl`, then its offset table. */
function savedBytes(files: { lines: Iterable<Uint8Array>; offsets: Iterable<Uint8Array> }): [Buffer, Buffer] {
  const text = Buffer.concat([...files.lines]);
  return [text, Buffer.concat([...files.offsets])];
}

async function scanned(name: string, text: string | Buffer, count = passages.length) {
  const path = join(root.path, `${name}.jsonl`);
  await writeFile(path, text);
  return { path, table: await scanPassageLines(path, count) };
}

describe('scanPassageLines (a version-1 passages.jsonl)', () => {
  it('builds the table the writer writes for the same passages', async () => {
    const { path, table } = await scanned('plain', lines.map((line) => `${line}\n`).join(''));
    const [text, offsets] = savedBytes(
      passagesInMemory(
        passages.map((passage) => passage.id),
        passages.map((passage) => passage.contents),
      ).savedFiles(),
    );
    expect(Buffer.from(table)).toEqual(offsets);
    const file = PassageFile.open({ passages: path, offsets: table, count: 3 });
    expect(savedBytes(passagesFromFile(file).savedFiles())).toEqual([text, offsets]);
    file.close();
  });

  it('reads a byte-order mark, CRLF breaks, blank lines and a last line without a break; saving drops the mark', async () => {
    const text = `\uFEFF\n  \r\n${lines[0]}\r\n\n${lines[1]}\n\t\n${lines[2]}`;
    const { path, table } = await scanned('irregular', text);
    const file = PassageFile.open({ passages: path, offsets: table, count: 3 });
    const store = passagesFromFile(file);
    expect([0, 1, 2].map((row) => store.passage(row))).toEqual(passages);
    const [saved, offsets] = savedBytes(store.savedFiles());
    expect(saved.toString('utf8')).toBe(text.slice(1));
    const copy = join(root.path, 'irregular-copy.jsonl');
    await writeFile(copy, saved);
    const reopened = PassageFile.open({ passages: copy, offsets, count: 3 });
    expect([0, 1, 2].map((row) => reopened.passage(row))).toEqual(passages);
    reopened.close();
    file.close();
  });

  it('reads lines across 1 MiB chunk boundaries', async () => {
    const many = Array.from({ length: 3000 }, (_, index) => ({
      id: `p${String(index).padStart(5, '0')}`,
      contents: `passage ${index} ${'é'.repeat(200 + (index % 97))}`,
    }));
    const { path, table } = await scanned(
      'large',
      many.map((passage) => `${JSON.stringify(passage)}\n`).join(''),
      3000,
    );
    const file = PassageFile.open({ passages: path, offsets: table, count: 3000 });
    for (let row = 0; row < many.length; row += 1) expect(file.passage(row)).toEqual(many[row]);
    file.close();
  });

  it('checks what the version-1 loader checked, naming the file and the line', async () => {
    const cases: Array<[string, string, string]> = [
      ['count', `${lines[0]}\n${lines[1]}\n`, 'has 2 passages, the manifest says 3'],
      [
        'shape',
        `${lines[0]}\n{"id": 2, "contents": ""}\n${lines[2]}\n`,
        'line 2: must be {"id": string, "contents": string}',
      ],
      ['order', `${lines[1]}\n${lines[0]}\n${lines[2]}\n`, 'line 2: ids must be unique and ascending; "a" follows "b"'],
      [
        'duplicate',
        `${lines[0]}\n\n${lines[0]}\n${lines[2]}\n`,
        'line 3: ids must be unique and ascending; "a" follows "a"',
      ],
      ['json', `${lines[0]}\n${lines[1]}\n{"id": "c"`, 'line 3: invalid JSON ('],
    ];
    for (const [name, text, problem] of cases) {
      const path = join(root.path, `${name}.jsonl`);
      await writeFile(path, text);
      const error = await scanPassageLines(path, 3).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message.startsWith(`${path}${problem.startsWith('line') ? ', ' : ': '}${problem}`)).toBe(
        true,
      );
    }
    const path = join(root.path, 'binary.jsonl');
    await writeFile(path, Buffer.from([0x7b, 0xff, 0x7d, 0x0a]));
    await expect(scanPassageLines(path, 1)).rejects.toThrow(`${path}, line 1: invalid UTF-8 (the line is not text)`);
    await expect(scanPassageLines(join(root.path, 'missing.jsonl'), 1)).rejects.toThrow(/cannot read the file: ENOENT/);
  });
});
