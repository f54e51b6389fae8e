import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  encodePassageOffset,
  passageOffsetBytes,
  writeFileAtomically,
  writeJsonAtomically,
} from '@research-ts/spec/node';
import type { Analyzer } from './analyzer';
import { AppendingFile } from './appending-file';
import type { Bm25Parameters } from './bm25';
import {
  compactIndexFiles,
  compactIndexFormat,
  compactIndexFormatVersion,
  type CompactIndexManifest,
} from './compact-index-manifest';
import { SegmentAccumulator } from './index-segment';
import type { IndexFileEntry } from './index-manifest';
import { manifestFileName } from './index-manifest';
import { mergeSegments } from './merge-segments';
import { PassageTermCounter } from './passage-term-counter';
import { postingBlockSize } from './posting-blocks';
import { TermDictionaryWriter, dictionaryBlockTerms } from './term-dictionary';
import { TermTable } from './term-table';
import { uint32Values } from './uint32-values';
import { createHash } from 'node:crypto';

export interface CompactIndexWriterOptions {
  analyzer: Analyzer;
  bm25: Bm25Parameters;
  /** Bytes of postings and terms held before a segment is written to disk. */
  memoryBudgetBytes: number;
}

/**
 * Builds a compact index in `directory` (an empty staging folder) with bounded memory. Each passage goes
 * straight to `passages.jsonl` (its offset and CRC-32 to `passage-offsets.bin`, its length to
 * `document-lengths.u32le`); its postings collect in a {@link SegmentAccumulator} over a term table of the
 * segment's own, written as a sorted segment file whenever they and the terms pass the memory budget. At
 * {@link finish} the segments are merged into `postings.bin` and the dictionary, and the ids are ranked.
 * Held for the whole build: the ids (a {@link TermTable} without strings, for duplicates and the ranks).
 */
export class CompactIndexWriter {
  private readonly ids = new TermTable({ keepStrings: false });
  /** The current segment's terms; their strings are made only when the segment is written. */
  private terms = new TermTable({ keepStrings: false });
  private readonly counter = new PassageTermCounter();
  private readonly segment = new SegmentAccumulator(0);
  private readonly segmentPaths: string[] = [];
  private totalLength = 0;
  private passageBytes = 0;
  private readonly encoder = new TextEncoder();
  /** One entry of `passage-offsets.bin`, encoded here and appended. */
  private readonly offsetEntry = new Uint8Array(passageOffsetBytes);

  private constructor(
    private readonly directory: string,
    private readonly options: CompactIndexWriterOptions,
    private readonly passages: AppendingFile,
    private readonly offsets: AppendingFile,
    private readonly lengths: AppendingFile,
  ) {}

  static async create(directory: string, options: CompactIndexWriterOptions): Promise<CompactIndexWriter> {
    await mkdir(join(directory, 'segments'), { recursive: true });
    return new CompactIndexWriter(
      directory,
      options,
      await AppendingFile.create(join(directory, compactIndexFiles.passages)),
      await AppendingFile.create(join(directory, compactIndexFiles.passageOffsets)),
      await AppendingFile.create(join(directory, compactIndexFiles.documentLengths)),
    );
  }

  /** Passages added so far. */
  get size(): number {
    return this.ids.size;
  }

  /** Segment files written so far. */
  get segmentCount(): number {
    return this.segmentPaths.length;
  }

  positionOf(id: string): number | undefined {
    const number = this.ids.find(id);
    return number < 0 ? undefined : number;
  }

  /** Adds one passage; the caller has checked that its id is new. */
  async add(id: string, contents: string): Promise<void> {
    this.ids.numberOf(id);
    const counter = this.counter;
    const length = counter.countTerms(this.options.analyzer, this.terms, contents);
    this.segment.add(counter.distinctNumbers, counter.frequencies, counter.distinctCount);
    this.totalLength += length;
    this.lengths.buffer.uint32(length);

    const line = this.encoder.encode(`${JSON.stringify({ id, contents })}\n`);
    this.appendOffset(this.passageBytes, crc32(line));
    this.passageBytes += line.length;
    await this.passages.write(line);
    await this.offsets.maybeFlush();
    await this.lengths.maybeFlush();
    // The terms' strings exist only while the segment is written: about 64 bytes each then.
    const segmentBytes = this.segment.bytesUsed + this.terms.bytesUsed + 64 * this.terms.size;
    if (segmentBytes > this.options.memoryBudgetBytes) await this.writeSegment();
  }

  /** Writes the remaining files and the manifest; the writer must not be used afterwards. */
  async finish(): Promise<CompactIndexManifest> {
    if (this.segment.documentCount > 0 || this.segmentPaths.length === 0) await this.writeSegment();
    this.appendOffset(this.passageBytes, 0);
    const entries = new Map<string, IndexFileEntry>();
    const closed = async (file: AppendingFile, name: string): Promise<void> => {
      entries.set(name, { name, ...(await file.close()) });
    };
    await closed(this.passages, compactIndexFiles.passages);
    await closed(this.offsets, compactIndexFiles.passageOffsets);
    await closed(this.lengths, compactIndexFiles.documentLengths);
    await this.writeIdRanks(entries);

    const postings = await AppendingFile.create(join(this.directory, compactIndexFiles.postings));
    const dictionaryFile = await AppendingFile.create(join(this.directory, compactIndexFiles.dictionary));
    const dictionary = new TermDictionaryWriter(dictionaryFile);
    // The lengths go back in for the postings' block maxima: 4 bytes per passage, read once the segments are done.
    const lengths = uint32Values(await readFile(join(this.directory, compactIndexFiles.documentLengths)));
    const terms = await mergeSegments(this.segmentPaths, postings, dictionary, lengths);
    const dictionaryIndex = await dictionary.finish();
    await closed(dictionaryFile, compactIndexFiles.dictionary);
    await this.writeWhole(entries, compactIndexFiles.dictionaryIndex, dictionaryIndex);
    await closed(postings, compactIndexFiles.postings);
    await rm(join(this.directory, 'segments'), { recursive: true, force: true });

    const manifest: CompactIndexManifest = {
      format: compactIndexFormat,
      version: compactIndexFormatVersion,
      passages: this.size,
      totalTerms: this.totalLength,
      terms,
      analyzer: this.options.analyzer.settings,
      bm25: this.options.bm25,
      codec: { postings: 'bit-packed-blocks', postingBlockSize, dictionaryBlockTerms },
      files: Object.values(compactIndexFiles).map((name) => entries.get(name)!),
    };
    await writeJsonAtomically(join(this.directory, manifestFileName), manifest);
    return manifest;
  }

  /** Closes the open files after a failure (the staging folder is removed by its owner). */
  async abandon(): Promise<void> {
    await Promise.all([this.passages.abandon(), this.offsets.abandon(), this.lengths.abandon()]);
  }

  /** Appends an entry to `passage-offsets.bin` (layout: spec's `passageOffsetBytes`). */
  private appendOffset(offset: number, crc: number): void {
    encodePassageOffset(this.offsetEntry, 0, offset, crc);
    this.offsets.buffer.raw(this.offsetEntry);
  }

  private async writeSegment(): Promise<void> {
    const path = join(this.directory, 'segments', `segment-${String(this.segmentPaths.length).padStart(5, '0')}`);
    const file = await AppendingFile.create(path, { hashed: false });
    try {
      await this.segment.write(file, this.terms);
    } finally {
      await file.close();
    }
    this.segmentPaths.push(path);
    this.terms = new TermTable({ keepStrings: false });
  }

  /** `id-ranks.u32le`: the rank of each passage's id in JavaScript `<` order. */
  private async writeIdRanks(entries: Map<string, IndexFileEntry>): Promise<void> {
    const count = this.ids.size;
    const order = new Uint32Array(count);
    for (let index = 0; index < count; index += 1) order[index] = index;
    order.sort((a, b) => this.ids.compare(a, b));
    const ranks = new Uint32Array(count);
    for (let rank = 0; rank < count; rank += 1) ranks[order[rank]!] = rank;
    const bytes = new Uint8Array(ranks.buffer);
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
    await this.writeWhole(entries, compactIndexFiles.idRanks, bytes);
  }

  private async writeWhole(entries: Map<string, IndexFileEntry>, name: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomically(join(this.directory, name), bytes);
    entries.set(name, { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
}
