import { open, type FileHandle } from 'node:fs/promises';
import { readFully } from '@research-ts/spec/node';
import { ByteReader } from './byte-writer';

/** One term record of a segment file (see `index-segment.ts`). */
export interface SegmentTerm {
  term: Uint8Array;
  documentFrequency: number;
  highestFrequency: number;
  lastDocument: number;
  /** The encoded postings, gaps after −1. */
  postings: Uint8Array;
}

const chunkBytes = 1 << 20;
/** More than the header of a record can take besides its term: four varints of at most 8 bytes. */
const headerBytes = 40;

/** Reads a segment file front to back, one term record at a time, through a 1 MiB window. */
export class SegmentReader {
  private window = new Uint8Array(chunkBytes);
  private start = 0;
  private end = 0;
  private filePosition = 0;
  private fileEnded = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<SegmentReader> {
    return new SegmentReader(path, await open(path, 'r'));
  }

  /** The next record, or undefined at the end of the file. The record's bytes are copies. */
  async next(): Promise<SegmentTerm | undefined> {
    await this.fill(headerBytes);
    if (this.start === this.end) return undefined;
    let reader = new ByteReader(this.window.subarray(0, this.end), this.start);
    const termLength = reader.varint();
    await this.fill(headerBytes + termLength);
    reader = new ByteReader(this.window.subarray(0, this.end), this.start);
    reader.varint();
    const term = reader.raw(termLength).slice();
    const documentFrequency = reader.varint();
    const highestFrequency = reader.varint();
    const lastDocument = reader.varint();
    const postingLength = reader.varint();
    this.start = reader.position;
    await this.fill(postingLength);
    if (this.end - this.start < postingLength) throw new RangeError(`segment ${this.path} ends inside a record`);
    const postings = this.window.slice(this.start, this.start + postingLength);
    this.start += postingLength;
    return { term, documentFrequency, highestFrequency, lastDocument, postings };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Makes at least `count` bytes available from `start` (fewer only at the end of the file). */
  private async fill(count: number): Promise<void> {
    if (this.end - this.start >= count || this.fileEnded) return;
    const kept = this.end - this.start;
    const window = count > this.window.length ? new Uint8Array(count + chunkBytes) : this.window;
    if (window === this.window) window.copyWithin(0, this.start, this.end);
    else window.set(this.window.subarray(this.start, this.end), 0);
    this.window = window;
    this.start = 0;
    this.end = kept;
    while (this.end < count && !this.fileEnded) {
      const wanted = window.length - this.end;
      const read = await readFully(this.handle, window.subarray(this.end), this.filePosition);
      this.filePosition += read;
      this.end += read;
      if (read < wanted) this.fileEnded = true;
    }
  }
}
