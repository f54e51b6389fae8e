import { closeSync, fstatSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import { InvalidInputError } from '../research-error';
import { readFullySync } from './file-handle-io';

/**
 * Bytes per entry of a passage offset table. The table of a JSONL passage file holds `[passages + 1]` entries:
 * the uint64 little-endian byte offset of passage `i`'s line and the uint32 little-endian CRC-32 (zlib) of the
 * bytes from that offset to the next entry's; the last entry's offset is the file's size (its CRC is 0).
 */
export const passageOffsetBytes = 12;

/** Writes entry `entry` of a table: the line's byte `offset` and its `crc`. */
export function encodePassageOffset(into: Uint8Array, entry: number, offset: number, crc: number): void {
  const view = new DataView(into.buffer, into.byteOffset + entry * passageOffsetBytes, passageOffsetBytes);
  view.setUint32(0, offset % 0x1_0000_0000, true);
  view.setUint32(4, Math.floor(offset / 0x1_0000_0000), true);
  view.setUint32(8, crc, true);
}

/** Reads entry `entry` of a table. */
export function decodePassageOffset(table: Uint8Array, entry: number): { offset: number; crc: number } {
  const view = new DataView(table.buffer, table.byteOffset + entry * passageOffsetBytes, passageOffsetBytes);
  return { offset: view.getUint32(0, true) + view.getUint32(4, true) * 0x1_0000_0000, crc: view.getUint32(8, true) };
}

/** Builds an offset table in memory (12 bytes per passage), one entry per line as the lines are laid out. */
export class PassageOffsetTableBuilder {
  private bytes: Uint8Array;
  private entries = 0;
  private lastOffset = 0;

  /** `passages`: how many lines are expected (the table is allocated once for them; more still fit). */
  constructor(passages = 0) {
    this.bytes = new Uint8Array((passages + 1) * passageOffsetBytes);
  }

  /** Passages added so far. */
  get count(): number {
    return this.entries;
  }

  /** Adds the next passage: its line starts at byte `offset` (not before the previous one's) and has CRC-32 `crc`. */
  add(offset: number, crc: number): void {
    if (!Number.isSafeInteger(offset) || offset < this.lastOffset)
      throw new RangeError(`offset ${offset} is not an integer at or after the previous one, ${this.lastOffset}`);
    this.reserve(this.entries + 2);
    encodePassageOffset(this.bytes, this.entries, offset, crc);
    this.entries += 1;
    this.lastOffset = offset;
  }

  /** The table, ended by the entry of `fileBytes` (the passage file's size). The builder is done afterwards. */
  finish(fileBytes: number): Uint8Array {
    if (!Number.isSafeInteger(fileBytes) || fileBytes < this.lastOffset)
      throw new RangeError(`the file size ${fileBytes} is before the last line's offset, ${this.lastOffset}`);
    this.reserve(this.entries + 1);
    encodePassageOffset(this.bytes, this.entries, fileBytes, 0);
    return this.bytes.subarray(0, (this.entries + 1) * passageOffsetBytes);
  }

  private reserve(entries: number): void {
    if (entries * passageOffsetBytes <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, entries * passageOffsetBytes));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}

export interface OpenPassageFileOptions {
  /** The JSONL file: one `{"id", "contents"}` object per passage line. */
  passages: string;
  /**
   * Its offset table: the path of the table's file (read by offset: nothing per passage is held in memory), or
   * the table's bytes (built in memory, e.g. by a scan of a file saved without one).
   */
  offsets: string | Uint8Array;
  /** Passages the table must list: it must hold `[count + 1]` entries. */
  count: number;
}

/** One passage, as a passage file holds it. */
export interface StoredPassage {
  id: string;
  contents: string;
}

/**
 * A JSONL passage file read by offset through its offset table (layout: {@link passageOffsetBytes}), with
 * positioned reads on open file descriptors: a passage costs one read of its two table entries (none for a table
 * in memory) and one of its line, which is checked against its CRC-32 before it is parsed. Opening checks that
 * the table holds `count + 1` entries and ends at the file's size; a line that fails its CRC-32, an offset range
 * outside the file, or a file that shrank after opening is an `InvalidInputError` naming the file. Not safe to
 * share between threads; {@link close} releases the descriptors.
 */
export class PassageFile {
  /** The passages the table lists. */
  readonly count: number;
  private open = true;

  private constructor(
    private readonly paths: { passages: string; offsets: string | undefined },
    private readonly descriptors: { passages: number; offsets: number | undefined },
    private readonly table: Uint8Array | undefined,
    private readonly fileBytes: number,
    count: number,
  ) {
    this.count = count;
  }

  /** Opens a passage file and its offset table, checking their sizes against each other and against `count`. */
  static open(options: OpenPassageFileOptions): PassageFile {
    const { passages, offsets, count } = options;
    const opened: number[] = [];
    try {
      const passagesDescriptor = openFile(passages, opened);
      const fileBytes = fstatSync(passagesDescriptor).size;
      const offsetsDescriptor = typeof offsets === 'string' ? openFile(offsets, opened) : undefined;
      const tableBytes =
        offsetsDescriptor === undefined ? (offsets as Uint8Array).length : fstatSync(offsetsDescriptor).size;
      const expected = (count + 1) * passageOffsetBytes;
      if (tableBytes !== expected) {
        throw new InvalidInputError(
          `has ${tableBytes} bytes; ${count} passages need ${expected} (${count + 1} entries of ${passageOffsetBytes} bytes): truncated, or written for another number of passages`,
          { source: typeof offsets === 'string' ? offsets : passages },
        );
      }
      const file = new PassageFile(
        { passages, offsets: typeof offsets === 'string' ? offsets : undefined },
        { passages: passagesDescriptor, offsets: offsetsDescriptor },
        typeof offsets === 'string' ? undefined : offsets,
        fileBytes,
        count,
      );
      const end = decodePassageOffset(file.entries(count, count + 1), 0).offset;
      if (end !== fileBytes) {
        throw new InvalidInputError(
          `has ${fileBytes} bytes, but ${file.tableName} ends at byte ${end}: the file or its table is corrupt or was changed after saving`,
          { source: passages },
        );
      }
      return file;
    } catch (error) {
      for (const descriptor of opened) closeSync(descriptor);
      throw error;
    }
  }

  /** The raw entries `first .. end - 1` of the table (`end ≤ count + 1`): a view for a table in memory, else a new array. */
  entries(first: number, end: number): Uint8Array {
    this.checkOpen(this.paths.offsets ?? this.paths.passages);
    if (!(Number.isInteger(first) && Number.isInteger(end) && 0 <= first && first <= end && end <= this.count + 1))
      throw new RangeError(`entries ${first} to ${end} are outside the table's 0 to ${this.count + 1}`);
    const start = first * passageOffsetBytes;
    const length = (end - first) * passageOffsetBytes;
    if (this.table !== undefined) return this.table.subarray(start, start + length);
    const into = new Uint8Array(length);
    const read = readFullySync(this.descriptors.offsets!, into, start);
    if (read !== length) {
      throw new InvalidInputError(
        `entries ${first} to ${end - 1} could not be read (${read} of ${length} bytes): the file was truncated after it was opened`,
        { source: this.paths.offsets! },
      );
    }
    return into;
  }

  /** The bytes of passage `index`'s line (with its line break), checked against its CRC-32. */
  line(index: number): Buffer {
    return this.lines(index, index + 1);
  }

  /** The bytes of the lines of passages `first .. end - 1`, read at once, each checked against its CRC-32. */
  lines(first: number, end: number): Buffer {
    if (!(Number.isInteger(first) && Number.isInteger(end) && 0 <= first && first <= end && end <= this.count))
      throw new RangeError(`passages ${first} to ${end} are outside 0 to ${this.count}`);
    this.checkOpen(this.paths.passages);
    const table = this.entries(first, end + 1);
    const start = decodePassageOffset(table, 0).offset;
    const stop = decodePassageOffset(table, end - first).offset;
    if (!(start <= stop && stop <= this.fileBytes && stop - start < 2 ** 31)) {
      throw new InvalidInputError(
        `${describePassages(first, end)}: the offset table gives bytes ${start} to ${stop}, not a range inside the file's ${this.fileBytes} bytes: the file or its table is corrupt or was changed after saving`,
        { source: this.paths.passages },
      );
    }
    const bytes = Buffer.allocUnsafe(stop - start);
    const read = readFullySync(this.descriptors.passages, bytes, start);
    if (read !== bytes.length) {
      throw new InvalidInputError(
        `${describePassages(first, end)} (bytes ${start} to ${stop}) could not be read (${read} of ${bytes.length} bytes): the file was truncated after it was opened`,
        { source: this.paths.passages },
      );
    }
    for (let index = first; index < end; index += 1) {
      const { offset: lineStart, crc } = decodePassageOffset(table, index - first);
      const lineEnd = decodePassageOffset(table, index - first + 1).offset;
      if (!(start <= lineStart && lineStart < lineEnd && lineEnd <= stop)) {
        throw new InvalidInputError(
          `passage ${index}: the offset table gives bytes ${lineStart} to ${lineEnd}, an empty range or one out of order: the file or its table is corrupt or was changed after saving`,
          { source: this.paths.passages },
        );
      }
      if (crc32(bytes.subarray(lineStart - start, lineEnd - start)) !== crc) {
        throw new InvalidInputError(
          `passage ${index} (bytes ${lineStart} to ${lineEnd}) does not match its CRC-32 in ${this.tableName}: the file is corrupt or was changed after saving`,
          { source: this.paths.passages },
        );
      }
    }
    return bytes;
  }

  /** Passage `index`: its line, checked against its CRC-32, parsed as `{"id": string, "contents": string}`. */
  passage(index: number): StoredPassage {
    const line = this.line(index);
    let record: unknown;
    try {
      record = JSON.parse(line.toString('utf8'));
    } catch (error) {
      throw this.notAPassage(index, `is not JSON (${(error as Error).message})`, error);
    }
    const { id, contents } = (record ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof contents !== 'string')
      throw this.notAPassage(index, 'is not {"id": string, "contents": string}');
    return { id, contents };
  }

  /** Closes the files (again: nothing); reads afterwards throw. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.descriptors.passages);
    if (this.descriptors.offsets !== undefined) closeSync(this.descriptors.offsets);
  }

  /** How errors name the table. */
  private get tableName(): string {
    return this.paths.offsets === undefined ? 'its offset table' : basename(this.paths.offsets);
  }

  private checkOpen(source: string): void {
    if (!this.open) throw new InvalidInputError('was closed', { source });
  }

  private notAPassage(index: number, problem: string, cause?: unknown): InvalidInputError {
    return new InvalidInputError(
      `passage ${index} ${problem}, though it matches its CRC-32: the file was written wrong`,
      { source: this.paths.passages },
      cause === undefined ? {} : { cause },
    );
  }
}

function describePassages(first: number, end: number): string {
  return end - first === 1 ? `passage ${first}` : `passages ${first} to ${end - 1}`;
}

function openFile(path: string, opened: number[]): number {
  try {
    const descriptor = openSync(path, 'r');
    opened.push(descriptor);
    return descriptor;
  } catch (error) {
    throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}
