import { crc32 } from 'node:zlib';
import { ByteReader, ByteWriter } from './byte-writer';
import type { AppendingFile } from './appending-file';

/**
 * The compact index's term dictionary: the terms in ascending UTF-8 byte order, in blocks of
 * {@link dictionaryBlockTerms} written to `dictionary.bin`; per term, front-coded against the previous term
 * of its block:
 *
 *   varint sharedPrefixBytes, varint suffixBytes, suffix, varint documentFrequency, varint highestFrequency,
 *   varint postingBytes, uint32 crc32 of the postings
 *
 * A term's postings start where the previous term's ended (`postings.bin` holds them in dictionary order).
 * `dictionary-index.bin` lists the blocks, one entry each, and is small enough to hold in memory:
 *
 *   varint firstTermBytes, first term, uint64 blockOffset, varint blockBytes, uint64 firstPostingsOffset,
 *   uint32 crc32 of the block
 *
 * A lookup binary-searches the block index, reads one block and checks its CRC-32 before decoding it.
 */
export const dictionaryBlockTerms = 64;

/** What the dictionary says about one term. */
export interface TermEntry {
  documentFrequency: number;
  highestFrequency: number;
  postingsOffset: number;
  postingBytes: number;
  /** CRC-32 of the term's postings bytes. */
  postingsCrc: number;
}

export class TermDictionaryWriter {
  private readonly block = new ByteWriter();
  private readonly index = new ByteWriter();
  private previous: Uint8Array = new Uint8Array(0);
  private termsInBlock = 0;
  private blockPostingsOffset = 0;
  private terms = 0;

  constructor(private readonly file: AppendingFile) {}

  get termCount(): number {
    return this.terms;
  }

  async add(term: Uint8Array, entry: TermEntry): Promise<void> {
    const block = this.block;
    if (this.termsInBlock === 0) {
      this.blockPostingsOffset = entry.postingsOffset;
      this.index.varint(term.length);
      this.index.raw(term);
      this.previous = new Uint8Array(0);
    }
    let shared = 0;
    const limit = Math.min(term.length, this.previous.length);
    while (shared < limit && term[shared] === this.previous[shared]) shared += 1;
    block.varint(shared);
    block.varint(term.length - shared);
    block.raw(term.subarray(shared));
    block.varint(entry.documentFrequency);
    block.varint(entry.highestFrequency);
    block.varint(entry.postingBytes);
    block.uint32(entry.postingsCrc);
    this.previous = term.slice();
    this.termsInBlock += 1;
    this.terms += 1;
    if (this.termsInBlock === dictionaryBlockTerms) await this.endBlock();
  }

  /** Writes the last block; returns the bytes of `dictionary-index.bin`. */
  async finish(): Promise<Uint8Array> {
    await this.endBlock();
    return this.index.view();
  }

  private async endBlock(): Promise<void> {
    if (this.termsInBlock === 0) return;
    const bytes = this.block.view();
    this.index.uint64(this.file.bytes);
    this.index.varint(bytes.length);
    this.index.uint64(this.blockPostingsOffset);
    this.index.uint32(crc32(bytes));
    await this.file.write(bytes);
    this.block.clear();
    this.termsInBlock = 0;
  }
}

/** Orders two byte strings (negative, 0, positive), like `Buffer.compare`. */
function compareBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array): number {
  const length = Math.min(aEnd - aStart, b.length);
  for (let index = 0; index < length; index += 1) {
    const difference = a[aStart + index]! - b[index]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - b.length;
}

/** The block index in memory; blocks are read through `readBlock` (positional reads of `dictionary.bin`). */
export class TermDictionary {
  private readonly firstTerms: Uint8Array;
  /** `[blocks + 1]` offsets of each block's first term in `firstTerms`. */
  private readonly firstTermStarts: Uint32Array;
  private readonly blockOffsets: Float64Array;
  private readonly blockBytes: Uint32Array;
  private readonly postingsOffsets: Float64Array;
  private readonly blockCrcs: Uint32Array;

  /** Parses `dictionary-index.bin`; throws a `RangeError` when it is malformed. */
  constructor(indexBytes: Uint8Array) {
    const reader = new ByteReader(indexBytes);
    const starts: number[] = [0];
    const offsets: number[] = [];
    const sizes: number[] = [];
    const postings: number[] = [];
    const crcs: number[] = [];
    const terms = new ByteWriter();
    while (!reader.done) {
      terms.raw(reader.raw(reader.varint()));
      starts.push(terms.length);
      offsets.push(reader.uint64());
      sizes.push(reader.varint());
      postings.push(reader.uint64());
      crcs.push(reader.uint32());
    }
    this.firstTerms = terms.view().slice();
    this.firstTermStarts = Uint32Array.from(starts);
    this.blockOffsets = Float64Array.from(offsets);
    this.blockBytes = Uint32Array.from(sizes);
    this.postingsOffsets = Float64Array.from(postings);
    this.blockCrcs = Uint32Array.from(crcs);
  }

  get blockCount(): number {
    return this.blockBytes.length;
  }

  /** Bytes held in memory. */
  get bytesUsed(): number {
    return (
      this.firstTerms.byteLength +
      this.firstTermStarts.byteLength +
      this.blockOffsets.byteLength +
      this.blockBytes.byteLength +
      this.postingsOffsets.byteLength +
      this.blockCrcs.byteLength
    );
  }

  /** The last block whose first term is ≤ `term`, or −1 when `term` sorts before every term. */
  findBlock(term: Uint8Array): number {
    let low = 0;
    let high = this.blockCount - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const order = compareBytes(
        this.firstTerms,
        this.firstTermStarts[middle]!,
        this.firstTermStarts[middle + 1]!,
        term,
      );
      if (order <= 0) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** Where block `block` lies in `dictionary.bin`, and its CRC-32. */
  blockLocation(block: number): { offset: number; bytes: number; crc: number } {
    return { offset: this.blockOffsets[block]!, bytes: this.blockBytes[block]!, crc: this.blockCrcs[block]! };
  }

  /** Looks `term` up in the bytes of block `block` (already checked against its CRC). */
  findInBlock(block: number, blockBytes: Uint8Array, term: Uint8Array): TermEntry | undefined {
    const reader = new ByteReader(blockBytes);
    const current = new ByteWriter(64);
    let postingsOffset = this.postingsOffsets[block]!;
    while (!reader.done) {
      const shared = reader.varint();
      const suffix = reader.raw(reader.varint());
      current.length = shared;
      current.raw(suffix);
      const documentFrequency = reader.varint();
      const highestFrequency = reader.varint();
      const postingBytes = reader.varint();
      const postingsCrc = reader.uint32();
      const order = compareBytes(current.bytes, 0, current.length, term);
      if (order === 0) return { documentFrequency, highestFrequency, postingsOffset, postingBytes, postingsCrc };
      if (order > 0) return undefined;
      postingsOffset += postingBytes;
    }
    return undefined;
  }
}
