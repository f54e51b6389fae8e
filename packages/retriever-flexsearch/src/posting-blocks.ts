/**
 * The compact index's posting lists (`postings.bin`): little-endian uint32 words, bit-packed in blocks of
 * {@link postingBlockSize} postings, with a block directory in front so that a search can skip blocks:
 *
 *   [0]                         blockCount
 *   [1 … blockCount]            last document of each block
 *   [1 + blockCount … 2·bc]     word offset of each block (from the list's start)
 *   [1 + 2·bc … 3·bc]           (format version 2 on) block maxima: the block's highest frequency in the low
 *                               16 bits ({@link unstoredFrequency}: 65 535 or more, the term's highest applies)
 *                               and its shortest passage length in the high 16 (capped at 65 535, so never
 *                               above the true one): what a passage of this block can score at most
 *   each block:                 header = count | gapBits << 8 | frequencyBits << 16,
 *                               count gaps (document − previous − 1; previous = the last document of the block
 *                               before, −1 for the first) in gapBits bits each, then count (frequency − 1) in
 *                               frequencyBits bits each, packed low bits first into whole words
 *
 * Decoding a block is shifts and masks at fixed positions, about four times faster in JavaScript than one
 * varint at a time (measured in BENCHMARKS.md).
 */
export const postingBlockSize = 64;

/** The block maxima's frequency field when the block's highest frequency does not fit in 16 bits. */
export const unstoredFrequency = 0xffff;
/** The block maxima's length field holds at most this (a lower bound of longer passages' lengths). */
const longestStoredLength = 0xffff;

/** Bits needed for the largest of `values[from…to)` (0 when all are 0). */
function bitsFor(values: ArrayLike<number>, from: number, to: number): number {
  let highest = 0;
  for (let index = from; index < to; index += 1) highest |= values[index]!;
  return highest === 0 ? 0 : 32 - Math.clz32(highest);
}

/** Packs `values[0…count)` in `bits` bits each into `words` from word `at`; returns the word after. */
function pack(values: Uint32Array, count: number, bits: number, words: Uint32Array, at: number): number {
  if (bits === 0) return at;
  for (let index = 0; index < count; index += 1) {
    const bit = index * bits;
    const word = at + (bit >>> 5);
    const shift = bit & 31;
    const value = values[index]!;
    words[word] = words[word]! | (value << shift);
    if (shift + bits > 32) words[word + 1] = words[word + 1]! | (value >>> (32 - shift));
  }
  return at + Math.ceil((count * bits) / 32);
}

/** Unpacks `count` values of `bits` bits from `words` at word `at` into `into`; returns the word after. */
function unpack(words: Uint32Array, at: number, count: number, bits: number, into: Uint32Array): number {
  if (bits === 0) {
    into.fill(0, 0, count);
    return at;
  }
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  for (let index = 0; index < count; index += 1) {
    const bit = index * bits;
    const word = at + (bit >>> 5);
    const shift = bit & 31;
    let value = words[word]! >>> shift;
    if (shift + bits > 32) value |= words[word + 1]! << (32 - shift);
    into[index] = value & mask;
  }
  return at + Math.ceil((count * bits) / 32);
}

/** Scratch for {@link encodePostingBlocks}: one block's gaps and frequencies − 1, and the list's words. */
const blockGaps = new Uint32Array(postingBlockSize);
const blockCounts = new Uint32Array(postingBlockSize);
let listWords = new Uint32Array(1 << 16);

/**
 * Encodes `count` postings (documents ascending, frequencies ≥ 1) as one list of words with block maxima
 * (`documentLengths[document]`: each passage's analyzed length): a view of a shared buffer, valid until the
 * next call.
 */
export function encodePostingBlocks(
  documents: Int32Array,
  frequencies: Uint32Array,
  count: number,
  documentLengths: Uint32Array,
): Uint32Array {
  const blockCount = Math.ceil(count / postingBlockSize);
  // At most 32 + 32 bits per posting, plus a header per block and the directory.
  const capacity = 1 + 4 * blockCount + 2 * count;
  if (listWords.length < capacity) listWords = new Uint32Array(Math.max(capacity, 2 * listWords.length));
  const words = listWords;
  words.fill(0, 0, capacity);
  words[0] = blockCount;
  const gaps = blockGaps;
  const counts = blockCounts;
  let at = 1 + 3 * blockCount;
  let previous = -1;
  for (let block = 0; block < blockCount; block += 1) {
    const from = block * postingBlockSize;
    const size = Math.min(postingBlockSize, count - from);
    let highestFrequency = 0;
    let shortestLength = longestStoredLength;
    for (let index = 0; index < size; index += 1) {
      const document = documents[from + index]!;
      const frequency = frequencies[from + index]!;
      gaps[index] = document - previous - 1;
      previous = document;
      counts[index] = frequency - 1;
      if (frequency > highestFrequency) highestFrequency = frequency;
      const length = documentLengths[document]!;
      if (length < shortestLength) shortestLength = length;
    }
    const gapBits = bitsFor(gaps, 0, size);
    const frequencyBits = bitsFor(counts, 0, size);
    words[1 + block] = previous;
    words[1 + blockCount + block] = at;
    words[1 + 2 * blockCount + block] = (Math.min(highestFrequency, unstoredFrequency) | (shortestLength << 16)) >>> 0;
    words[at] = size | (gapBits << 8) | (frequencyBits << 16);
    at = pack(gaps, size, gapBits, words, at + 1);
    at = pack(counts, size, frequencyBits, words, at);
  }
  return words.subarray(0, at);
}

/** Reads one posting list's blocks; `decode(block)` fills `documents` and `frequencies` and returns the count. */
export class PostingBlockReader {
  readonly documents = new Int32Array(postingBlockSize);
  readonly frequencies = new Uint32Array(postingBlockSize);
  private words: Uint32Array = new Uint32Array(1);
  private hasMaxima = true;

  /**
   * The list to read (the words of one term); `hasMaxima`: written with block maxima (format version 2 on).
   * Throws a `RangeError` when its directory does not fit.
   */
  reset(words: Uint32Array, hasMaxima = true): void {
    const blockCount = words[0] ?? 0;
    if (words.length < 1 + (hasMaxima ? 3 : 2) * blockCount)
      throw new RangeError('posting list shorter than its block directory');
    this.words = words;
    this.hasMaxima = hasMaxima;
  }

  /** Whether the list has block maxima ({@link blockMaxima}). */
  get withMaxima(): boolean {
    return this.hasMaxima;
  }

  /** Block `block`'s maxima word: highest frequency (low 16 bits) and shortest passage length (high 16). */
  blockMaxima(block: number): number {
    return this.words[1 + 2 * this.words[0]! + block]!;
  }

  get blockCount(): number {
    return this.words[0]!;
  }

  /** The last document of block `block`. */
  lastDocument(block: number): number {
    return this.words[1 + block]!;
  }

  /** Where the frequencies of the block last decoded start, and their width. */
  private frequencyStart = 0;
  private frequencyBits = 0;

  /** Fills `documents` with block `block` (not `frequencies`: see {@link frequencyAt}); returns its count. */
  decodeDocuments(block: number): number {
    const words = this.words;
    const blockCount = words[0]!;
    let at = words[1 + blockCount + block]!;
    const header = words[at]!;
    const count = header & 0xff;
    const gapBits = (header >>> 8) & 0xff;
    const frequencyBits = (header >>> 16) & 0xff;
    if (count > postingBlockSize || gapBits > 32 || frequencyBits > 32)
      throw new RangeError(`posting block ${block} has a bad header`);
    const end = at + 1 + Math.ceil((count * gapBits) / 32) + Math.ceil((count * frequencyBits) / 32);
    if (end > words.length) throw new RangeError(`posting block ${block} runs past the end of its list`);
    // Gaps: unpacked and summed in one pass.
    const documents = this.documents;
    let previous = block === 0 ? -1 : words[block]!;
    at += 1;
    if (gapBits === 0) {
      for (let index = 0; index < count; index += 1) documents[index] = previous += 1;
    } else {
      const mask = gapBits === 32 ? 0xffffffff : (1 << gapBits) - 1;
      let bit = 0;
      for (let index = 0; index < count; index += 1, bit += gapBits) {
        const word = at + (bit >>> 5);
        const shift = bit & 31;
        let value = words[word]! >>> shift;
        if (shift + gapBits > 32) value |= words[word + 1]! << (32 - shift);
        previous += ((value & mask) >>> 0) + 1;
        documents[index] = previous;
      }
      at += Math.ceil((count * gapBits) / 32);
    }
    this.frequencyStart = at;
    this.frequencyBits = frequencyBits;
    return count;
  }

  /** The frequency of posting `index` of the block last decoded. */
  frequencyAt(index: number): number {
    const bits = this.frequencyBits;
    if (bits === 0) return 1;
    const bit = index * bits;
    const word = this.frequencyStart + (bit >>> 5);
    const shift = bit & 31;
    let value = this.words[word]! >>> shift;
    if (shift + bits > 32) value |= this.words[word + 1]! << (32 - shift);
    return ((bits === 32 ? value : value & ((1 << bits) - 1)) >>> 0) + 1;
  }

  /** Fills `documents` and `frequencies` with block `block`; returns its count. */
  decode(block: number): number {
    const count = this.decodeDocuments(block);
    const frequencies = this.frequencies;
    if (this.frequencyBits === 0) frequencies.fill(1, 0, count);
    else {
      unpack(this.words, this.frequencyStart, count, this.frequencyBits, frequencies);
      for (let index = 0; index < count; index += 1) frequencies[index] = frequencies[index]! + 1;
    }
    return count;
  }
}
