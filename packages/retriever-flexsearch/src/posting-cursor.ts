import { PostingBlockReader, unstoredFrequency } from './posting-blocks';

/** The document of a cursor past its list's last posting (above every document number). */
export const endOfPostings = 0x7fffffff;

/** What turns a passage length into its BM25 length norm, `k1 · (1 − b + b · dl / avgdl)` (as `bm25LengthNorms`). */
export interface LengthNormScale {
  k1: number;
  b: number;
  averageLength: number;
  /** The smallest norm of any passage: the bound of a block without maxima. */
  smallestNorm: number;
}

/** The length norm of a passage of `length` terms; computed as `bm25LengthNorms` does, so never above it. */
function lengthNorm({ k1, b, averageLength }: LengthNormScale, length: number): number {
  return averageLength === 0 ? k1 : k1 * (1 - b + (b * length) / averageLength);
}

/**
 * One query term's place in its posting list (`posting-blocks.ts`), for document-at-a-time search: the
 * document at the cursor, moving forward only; blocks are decoded when the cursor lands in them, and a block
 * can be bounded (the most its passages can score for the term) from the directory's block maxima without
 * decoding it. Reused across queries: {@link reset} points it at a new list.
 */
export class PostingCursor {
  /**
   * The document at the cursor; {@link endOfPostings} past the end. After {@link skipTo} into a block not
   * decoded yet, only a lower bound of the next posting's document ({@link pending}) until {@link materialize}.
   */
  document = endOfPostings;
  /** Whether {@link document} is only a lower bound (the block it lies in is not decoded yet). */
  pending = false;
  private readonly reader = new PostingBlockReader();
  private blockCount = 0;
  /** The block the cursor is in; decoded when `decodedBlock === block` (`seekBlock` moves it without decoding). */
  private block = 0;
  private decodedBlock = -1;
  private position = 0;
  private count = 0;
  private weight = 0;
  private highestFrequency = 0;
  private scale: LengthNormScale = { k1: 0, b: 0, averageLength: 0, smallestNorm: 0 };
  /** The decoded block's limits from its maxima: every posting in it must keep within them. */
  private blockHighestFrequency = 0;
  private blockShortestNorm = 0;
  /** The block whose bound is `bound` (−1: none yet). */
  private boundBlock = -1;
  private bound = 0;

  /** Names the list in errors. */
  private label = '';

  /**
   * Points the cursor at the first posting of `words` (one term's list): `weight` is the term's
   * `query count · idf · (k1 + 1)`, `highestFrequency` its highest frequency (the dictionary's), `label`
   * names the list in errors. A malformed list throws a `RangeError` (here or while moving).
   */
  reset(
    words: Uint32Array,
    hasMaxima: boolean,
    weight: number,
    highestFrequency: number,
    scale: LengthNormScale,
    label: string,
  ): void {
    this.label = label;
    try {
      this.reader.reset(words, hasMaxima);
    } catch (error) {
      throw this.fault((error as Error).message);
    }
    this.blockCount = this.reader.blockCount;
    this.weight = weight;
    this.highestFrequency = highestFrequency;
    this.scale = scale;
    this.rewind();
  }

  /** Back to the first posting of the same list. */
  rewind(): void {
    this.pending = false;
    this.block = 0;
    this.decodedBlock = -1;
    this.boundBlock = -1;
    if (this.blockCount === 0) this.document = endOfPostings;
    else this.decode(0);
  }

  /** The number of blocks in the list. */
  get blocks(): number {
    return this.blockCount;
  }

  /** The last document of block `block` (from the directory). */
  lastDocumentOf(block: number): number {
    return this.reader.lastDocument(block);
  }

  /** The term's score in the passage at the cursor: `weight · tf / (tf + norm)`, as the in-memory index adds it. */
  score(lengthNorms: Float64Array): number {
    const frequency = this.reader.frequencyAt(this.position);
    const norm = lengthNorms[this.document]!;
    if (frequency > this.blockHighestFrequency || norm < this.blockShortestNorm) {
      throw this.fault(
        `posting block ${this.block}: passage ${this.document} (frequency ${frequency}) lies outside the block's stored maxima`,
      );
    }
    return (this.weight * frequency) / (frequency + norm);
  }

  /** Moves to the next posting. */
  next(): void {
    this.position += 1;
    if (this.position < this.count) {
      this.document = this.reader.documents[this.position]!;
      return;
    }
    this.block += 1;
    if (this.block >= this.blockCount) this.document = endOfPostings;
    else this.decode(this.block);
  }

  /** The last document of the block the cursor is in ({@link endOfPostings} past the end). */
  get blockEnd(): number {
    return this.block < this.blockCount ? this.reader.lastDocument(this.block) : endOfPostings;
  }

  /**
   * Moves toward the first posting whose document is ≥ `target` without decoding another block: when that
   * posting lies in a block not decoded yet, the cursor becomes {@link pending} at `target`.
   */
  skipTo(target: number): void {
    if (this.document >= target) return;
    if (!this.seekBlock(target)) {
      this.pending = false;
      this.document = endOfPostings;
    } else if (this.decodedBlock === this.block) {
      this.pending = false;
      this.scanTo(target);
    } else {
      this.pending = true;
      this.document = target;
    }
  }

  /** Decodes the block a {@link pending} cursor lies in and moves to its real posting. */
  materialize(): void {
    if (!this.pending) return;
    const target = this.document;
    this.pending = false;
    this.decode(this.block);
    this.scanTo(target);
  }

  /** Moves to the first posting whose document is ≥ `target` (never back). */
  advance(target: number): void {
    if (this.document >= target) {
      this.materialize();
      return;
    }
    this.pending = false;
    if (!this.seekBlock(target)) {
      this.document = endOfPostings;
      return;
    }
    if (this.decodedBlock !== this.block) this.decode(this.block);
    this.scanTo(target);
  }

  /** Within the decoded block, from the cursor's position, to the first document ≥ `target`. */
  private scanTo(target: number): void {
    const documents = this.reader.documents;
    const count = this.count;
    let position = this.position;
    // The directory says the block's last document is ≥ target, so this stops inside the block.
    while (position < count && documents[position]! < target) position += 1;
    if (position === count) throw this.fault(`posting block ${this.block} ends before its directory's last document`);
    this.position = position;
    this.document = documents[position]!;
  }

  /**
   * The most the term can add to `target`'s score, from the maxima of the block that would hold `target`
   * (0 past the end of the list); moves the cursor's block there without decoding it. `target` must not be
   * below the cursor's document.
   */
  blockBound(target: number): number {
    if (!this.seekBlock(target)) return 0;
    if (this.boundBlock !== this.block) {
      this.boundBlock = this.block;
      this.bound = this.boundOf(this.block);
    }
    return this.bound;
  }

  /** The block bound: `weight · tf / (tf + norm)` at the block's highest tf and shortest passage. */
  private boundOf(block: number): number {
    const frequency = this.frequencyLimit(block);
    return (this.weight * frequency) / (frequency + this.normLimit(block));
  }

  /** The highest frequency block `block` may hold: its stored maximum, else the term's. */
  private frequencyLimit(block: number): number {
    if (!this.reader.withMaxima) return this.highestFrequency;
    const stored = this.reader.blockMaxima(block) & 0xffff;
    return stored === unstoredFrequency ? this.highestFrequency : stored;
  }

  /** The smallest length norm block `block` may hold: its shortest passage's, else the index's. */
  private normLimit(block: number): number {
    if (!this.reader.withMaxima) return this.scale.smallestNorm;
    return lengthNorm(this.scale, this.reader.blockMaxima(block) >>> 16);
  }

  /**
   * Moves `block` forward to the first block whose last document is ≥ `target`, without decoding: a
   * galloping search over the directory's last documents, then a binary one. False past the end.
   */
  private seekBlock(target: number): boolean {
    const reader = this.reader;
    const blockCount = this.blockCount;
    let low = this.block;
    if (low >= blockCount) return false;
    if (reader.lastDocument(low) >= target) return true;
    // lastDocument(low) < target from here on; find high with lastDocument(high) ≥ target.
    let step = 1;
    let high = low + 1;
    while (high < blockCount && reader.lastDocument(high) < target) {
      low = high;
      step *= 2;
      high = low + step;
    }
    if (high >= blockCount) {
      high = blockCount - 1;
      if (reader.lastDocument(high) < target) {
        this.block = blockCount;
        return false;
      }
    }
    while (high - low > 1) {
      const middle = (low + high) >>> 1;
      if (reader.lastDocument(middle) < target) low = middle;
      else high = middle;
    }
    this.block = high;
    return true;
  }

  private fault(message: string): RangeError {
    return new RangeError(`${this.label}: ${message}`);
  }

  private decode(block: number): void {
    const reader = this.reader;
    let count: number;
    try {
      count = reader.decodeDocuments(block);
    } catch (error) {
      throw this.fault((error as Error).message);
    }
    if (count === 0) throw this.fault(`posting block ${block} is empty`);
    this.count = count;
    this.decodedBlock = block;
    this.position = 0;
    this.document = reader.documents[0]!;
    this.blockHighestFrequency = this.frequencyLimit(block);
    this.blockShortestNorm = this.normLimit(block);
  }
}
