import { crc32 } from 'node:zlib';
import {
  PassageOffsetTableBuilder,
  decodePassageOffset,
  encodePassageOffset,
  passageOffsetBytes,
  type PassageFile,
  type StoredPassage,
} from '@research-ts/spec/node';

/** Passages (and table entries) per chunk when saving. */
const passagesPerChunk = 4096;
/** Bytes of lines per chunk when saving passages held in memory. */
const chunkBytes = 1 << 20;

/**
 * The passages of a dense retriever, in row order (which is id order): held in memory (a retriever just built),
 * or read from `passages.jsonl` by offset (a loaded one, so that 21M Wikipedia passages — about 13 GB as JS
 * strings — never sit on the heap).
 */
export interface PassageStore {
  readonly count: number;
  /** `memory`: ids and texts are JS arrays; `file`: each passage is read from disk when a search returns it. */
  readonly location: 'memory' | 'file';
  /** Passage `row` (`0 ≤ row < count`). */
  passage(row: number): StoredPassage;
  /**
   * What saving writes: the bytes of `passages.jsonl` and of its offset table (`passage-offsets.bin`), in chunks.
   * `lines` must be read to the end before `offsets`.
   */
  savedFiles(): { lines: Iterable<Uint8Array>; offsets: Iterable<Uint8Array> };
  close(): void;
}

/** Passages held in memory (the arrays are not copied). */
export function passagesInMemory(ids: readonly string[], contents: readonly string[]): PassageStore {
  return {
    count: ids.length,
    location: 'memory',
    passage: (row) => ({ id: ids[row]!, contents: contents[row]! }),
    savedFiles() {
      const table = new PassageOffsetTableBuilder(ids.length);
      let written = 0;
      let finished = false;
      function* lines(): Iterable<Uint8Array> {
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        for (let row = 0; row < ids.length; row += 1) {
          const line = Buffer.from(`${JSON.stringify({ id: ids[row], contents: contents[row] })}\n`);
          table.add(written, crc32(line));
          written += line.length;
          pending.push(line);
          pendingBytes += line.length;
          if (pendingBytes >= chunkBytes) {
            yield Buffer.concat(pending);
            pending = [];
            pendingBytes = 0;
          }
        }
        if (pending.length > 0) yield Buffer.concat(pending);
        finished = true;
      }
      function* offsets(): Iterable<Uint8Array> {
        if (!finished) throw new Error('the offset table is known only once every line was written');
        yield table.finish(written);
      }
      return { lines: lines(), offsets: offsets() };
    },
    close() {},
  };
}

/**
 * Passages read from a {@link PassageFile}: nothing per passage is held but its offset table (on disk for a
 * saved table, 12 bytes a passage for one built at load). Saving copies the lines, each checked against its
 * CRC-32, and the table (moved to start at byte 0 when the file began with a byte-order mark).
 */
export function passagesFromFile(file: PassageFile): PassageStore {
  const { count } = file;
  return {
    count,
    location: 'file',
    passage: (row) => file.passage(row),
    savedFiles() {
      function* lines(): Iterable<Uint8Array> {
        for (let first = 0; first < count; first += passagesPerChunk)
          yield file.lines(first, Math.min(count, first + passagesPerChunk));
      }
      function* offsets(): Iterable<Uint8Array> {
        const start = decodePassageOffset(file.entries(0, 1), 0).offset;
        for (let first = 0; first <= count; first += passagesPerChunk) {
          const entries = file.entries(first, Math.min(count + 1, first + passagesPerChunk));
          if (start === 0) {
            yield entries;
            continue;
          }
          const moved = new Uint8Array(entries.length);
          for (let entry = 0; entry < entries.length / passageOffsetBytes; entry += 1) {
            const { offset, crc } = decodePassageOffset(entries, entry);
            encodePassageOffset(moved, entry, offset - start, crc);
          }
          yield moved;
        }
      }
      return { lines: lines(), offsets: offsets() };
    },
    close: () => file.close(),
  };
}
