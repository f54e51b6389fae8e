import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../research-error';
import {
  PassageFile,
  PassageOffsetTableBuilder,
  decodePassageOffset,
  encodePassageOffset,
  passageOffsetBytes,
} from './passage-offset-table';

const folder = mkdtempSync(join(tmpdir(), 'spec-passage-offset-table-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const passages = [
  { id: 'a', contents: '"Alpha"\nfirst' },
  { id: 'b', contents: '"Beta"\nünïcode — two-byte and three-byte characters' },
  { id: 'c', contents: '' },
];

/** Writes `passages` as JSONL and its offset table (built with the builder) into `name`.jsonl / `name`.bin. */
function writePassageFile(name: string): { passages: string; offsets: string; table: Uint8Array; text: Buffer } {
  const lines = passages.map((passage) => Buffer.from(`${JSON.stringify(passage)}\n`));
  const builder = new PassageOffsetTableBuilder(passages.length);
  let offset = 0;
  for (const line of lines) {
    builder.add(offset, crc32(line));
    offset += line.length;
  }
  const table = builder.finish(offset);
  const text = Buffer.concat(lines);
  const paths = { passages: join(folder, `${name}.jsonl`), offsets: join(folder, `${name}.bin`) };
  writeFileSync(paths.passages, text);
  writeFileSync(paths.offsets, table);
  return { ...paths, table, text };
}

function caught(action: () => unknown): InvalidInputError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('passage offset table', () => {
  it('lays out [passages + 1] entries: uint64 LE offset, uint32 LE CRC-32; the last one is the file size', () => {
    const { table, text } = writePassageFile('layout');
    expect(passageOffsetBytes).toBe(12);
    expect(table.length).toBe((passages.length + 1) * 12);
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    let offset = 0;
    passages.forEach((passage, index) => {
      const line = Buffer.from(`${JSON.stringify(passage)}\n`);
      expect(view.getBigUint64(index * 12, true)).toBe(BigInt(offset));
      expect(view.getUint32(index * 12 + 8, true)).toBe(crc32(line));
      offset += line.length;
    });
    expect(view.getBigUint64(passages.length * 12, true)).toBe(BigInt(text.length));
    expect(view.getUint32(passages.length * 12 + 8, true)).toBe(0);
  });

  it('encodes offsets past 2^32 in the high word', () => {
    const builder = new PassageOffsetTableBuilder();
    builder.add(2 ** 32 + 5, 7);
    const table = builder.finish(2 ** 33);
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    expect(view.getBigUint64(0, true)).toBe(2n ** 32n + 5n);
    expect(view.getBigUint64(12, true)).toBe(2n ** 33n);
    expect(decodePassageOffset(table, 0)).toEqual({ offset: 2 ** 32 + 5, crc: 7 });
    expect(decodePassageOffset(table, 1)).toEqual({ offset: 2 ** 33, crc: 0 });
    const entry = new Uint8Array(24);
    encodePassageOffset(entry, 1, 2 ** 40 + 1, 0xffff_ffff);
    expect(decodePassageOffset(entry, 1)).toEqual({ offset: 2 ** 40 + 1, crc: 0xffff_ffff });
    expect(() => new PassageOffsetTableBuilder().add(-1, 0)).toThrow(RangeError);
  });

  it.each(['file', 'memory'] as const)('reads each passage by offset, with the table %s', (where) => {
    const paths = writePassageFile(`read-${where}`);
    const file = PassageFile.open({
      passages: paths.passages,
      offsets: where === 'file' ? paths.offsets : paths.table,
      count: passages.length,
    });
    expect(file.count).toBe(3);
    expect([2, 0, 1].map((index) => file.passage(index))).toEqual([passages[2], passages[0], passages[1]]);
    expect(file.lines(0, 3)).toEqual(paths.text);
    expect(file.lines(1, 1).length).toBe(0);
    expect(Buffer.from(file.entries(0, 4))).toEqual(Buffer.from(paths.table));
    file.close();
    file.close();
    expect(caught(() => file.passage(0)).message).toBe(`${paths.passages}: was closed`);
  });

  it('refuses a table of the wrong size, or one that does not end at the file size, naming the file', () => {
    const paths = writePassageFile('sizes');
    expect(caught(() => PassageFile.open({ ...paths, count: 4 })).message).toBe(
      `${paths.offsets}: has 48 bytes; 4 passages need 60 (5 entries of 12 bytes): truncated, or written for another number of passages`,
    );
    truncateSync(paths.offsets, 40);
    expect(caught(() => PassageFile.open({ ...paths, count: 3 })).message).toMatch(
      /: has 40 bytes; 3 passages need 48/,
    );
    writeFileSync(paths.offsets, paths.table);
    writeFileSync(paths.passages, Buffer.concat([paths.text, Buffer.from('\n')]));
    expect(caught(() => PassageFile.open({ ...paths, count: 3 })).message).toBe(
      `${paths.passages}: has ${paths.text.length + 1} bytes, but sizes.bin ends at byte ${paths.text.length}: the file or its table is corrupt or was changed after saving`,
    );
    expect(
      caught(() => PassageFile.open({ passages: join(folder, 'missing.jsonl'), offsets: paths.table, count: 3 }))
        .message,
    ).toMatch(/missing\.jsonl: cannot be read: ENOENT/);
  });

  it('a changed byte fails its CRC-32; a damaged offset, a range outside the file', () => {
    const paths = writePassageFile('corrupt');
    const changed = Buffer.from(paths.text);
    const at = changed.indexOf('Beta');
    changed[at] = 'Z'.charCodeAt(0);
    writeFileSync(paths.passages, changed);
    const file = PassageFile.open({ ...paths, count: 3 });
    expect(file.passage(0)).toEqual(passages[0]);
    const lineStart = changed.indexOf('\n') + 1;
    const lineEnd = changed.indexOf('\n', lineStart) + 1;
    expect(caught(() => file.passage(1)).message).toBe(
      `${paths.passages}: passage 1 (bytes ${lineStart} to ${lineEnd}) does not match its CRC-32 in corrupt.bin: the file is corrupt or was changed after saving`,
    );
    file.close();

    const table = Buffer.from(paths.table);
    table.writeUInt32LE(10_000, 12);
    const damaged = PassageFile.open({ passages: paths.passages, offsets: table, count: 3 });
    expect(caught(() => damaged.passage(1)).message).toBe(
      `${paths.passages}: passage 1: the offset table gives bytes 10000 to ${lineEnd}, not a range inside the file's ${changed.length} bytes: the file or its table is corrupt or was changed after saving`,
    );
    damaged.close();
  });

  it('a passage file truncated after opening fails the read naming it', () => {
    const paths = writePassageFile('shrunk');
    const file = PassageFile.open({ ...paths, count: 3 });
    truncateSync(paths.passages, 10);
    expect(caught(() => file.passage(2)).message).toMatch(
      new RegExp(
        `^${paths.passages}: passage 2 \\(bytes \\d+ to \\d+\\) could not be read \\(0 of \\d+ bytes\\): the file was truncated after it was opened$`,
      ),
    );
    truncateSync(paths.offsets, 12);
    expect(caught(() => file.passage(2)).message).toBe(
      `${paths.offsets}: entries 2 to 3 could not be read (0 of 24 bytes): the file was truncated after it was opened`,
    );
    file.close();
    expect(readFileSync(paths.passages).length).toBe(10);
  });

  it('a line that matches its CRC-32 but is not a passage', () => {
    const path = join(folder, 'not-passages.jsonl');
    const lines = ['{"id": 1, "contents": "x"}\n', 'not json\n'].map((line) => Buffer.from(line));
    writeFileSync(path, Buffer.concat(lines));
    const builder = new PassageOffsetTableBuilder();
    builder.add(0, crc32(lines[0]!));
    builder.add(lines[0]!.length, crc32(lines[1]!));
    const file = PassageFile.open({
      passages: path,
      offsets: builder.finish(lines[0]!.length + lines[1]!.length),
      count: 2,
    });
    expect(caught(() => file.passage(0)).message).toBe(
      `${path}: passage 0 is not {"id": string, "contents": string}, though it matches its CRC-32: the file was written wrong`,
    );
    expect(caught(() => file.passage(1)).message).toMatch(
      /passage 1 is not JSON \(.*\), though it matches its CRC-32/s,
    );
    file.close();
  });
});
