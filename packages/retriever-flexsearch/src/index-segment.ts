import { ByteWriter } from './byte-writer';
import type { AppendingFile } from './appending-file';
import { encodePostings } from './posting-codec';
import type { TermTable } from './term-table';

/**
 * The postings of a run of consecutive documents, collected in flat typed arrays while a compact index is
 * built, then written as one sorted segment file when the memory budget fills. A segment file is a
 * sequence of records, one per term in ascending UTF-8 byte order of the term:
 *
 *   varint termBytes, term (UTF-8), varint documentFrequency, varint highestFrequency, varint lastDocument,
 *   varint postingBytes, postings (`posting-codec.ts`, gaps after −1, so documents are absolute)
 */
export class SegmentAccumulator {
  /** `[postings]` term number (in the segment's term table) and frequency of each posting, in document order. */
  private termNumbers = new Int32Array(1 << 16);
  private frequencies = new Uint32Array(1 << 16);
  private postingCount = 0;
  /** `[documents]` number of postings up to and including each document of the segment. */
  private documentEnds = new Uint32Array(1024);
  private documents = 0;

  constructor(private firstDocument: number) {}

  get documentCount(): number {
    return this.documents;
  }

  /**
   * Bytes of postings collected, counted twice: the sort at {@link write} needs about as much again (the
   * arrays grow by doubling, so up to twice this is allocated).
   */
  get bytesUsed(): number {
    return 16 * this.postingCount + 4 * this.documents;
  }

  /** Adds the next document: its distinct term numbers and their frequencies, `[0…count)`. */
  add(termNumbers: ArrayLike<number>, frequencies: ArrayLike<number>, count: number): void {
    if (this.postingCount + count > this.termNumbers.length) {
      const capacity = Math.max(this.termNumbers.length * 2, this.postingCount + count);
      const grownTerms = new Int32Array(capacity);
      grownTerms.set(this.termNumbers.subarray(0, this.postingCount));
      this.termNumbers = grownTerms;
      const grownFrequencies = new Uint32Array(capacity);
      grownFrequencies.set(this.frequencies.subarray(0, this.postingCount));
      this.frequencies = grownFrequencies;
    }
    for (let index = 0; index < count; index += 1) {
      this.termNumbers[this.postingCount] = termNumbers[index]!;
      this.frequencies[this.postingCount] = frequencies[index]!;
      this.postingCount += 1;
    }
    if (this.documents === this.documentEnds.length) {
      const grown = new Uint32Array(this.documentEnds.length * 2);
      grown.set(this.documentEnds);
      this.documentEnds = grown;
    }
    this.documentEnds[this.documents] = this.postingCount;
    this.documents += 1;
  }

  /**
   * Writes the segment to `file` (terms from `termTable`), then empties the accumulator so that it collects
   * the documents that follow.
   */
  async write(file: AppendingFile, termTable: TermTable): Promise<void> {
    const termCount = termTable.size;
    // Counting sort by term number; within a term the documents stay ascending.
    const starts = new Uint32Array(termCount + 1);
    for (let posting = 0; posting < this.postingCount; posting += 1) {
      const next = this.termNumbers[posting]! + 1;
      starts[next] = starts[next]! + 1;
    }
    for (let term = 0; term < termCount; term += 1) starts[term + 1] = starts[term + 1]! + starts[term]!;
    const cursors = starts.slice(0, termCount);
    const sortedDocuments = new Int32Array(this.postingCount);
    const sortedFrequencies = new Uint32Array(this.postingCount);
    let posting = 0;
    for (let document = 0; document < this.documents; document += 1) {
      const end = this.documentEnds[document]!;
      for (; posting < end; posting += 1) {
        const term = this.termNumbers[posting]!;
        const position = cursors[term]!;
        cursors[term] = position + 1;
        sortedDocuments[position] = this.firstDocument + document;
        sortedFrequencies[position] = this.frequencies[posting]!;
      }
    }

    const terms = Array.from({ length: termCount }, (_, number) => termTable.termAt(number));
    const order = termsInByteOrder(terms);
    const postings = new ByteWriter();
    const out = file.buffer;
    for (const term of order) {
      const from = starts[term]!;
      const to = starts[term + 1]!;
      if (from === to) continue;
      let highest = 0;
      for (let index = from; index < to; index += 1) highest = Math.max(highest, sortedFrequencies[index]!);
      postings.clear();
      encodePostings(postings, sortedDocuments, sortedFrequencies, from, to);
      const bytes = Buffer.from(terms[term]!, 'utf8');
      out.varint(bytes.length);
      out.raw(bytes);
      out.varint(to - from);
      out.varint(highest);
      out.varint(sortedDocuments[to - 1]!);
      out.varint(postings.length);
      await file.write(postings.view());
    }

    this.firstDocument += this.documents;
    this.termNumbers = new Int32Array(1 << 16);
    this.frequencies = new Uint32Array(1 << 16);
    this.postingCount = 0;
    this.documentEnds = new Uint32Array(1024);
    this.documents = 0;
  }
}

/** Surrogates and U+E000–U+FFFF: where UTF-16 code unit order and UTF-8 byte order disagree. */
const highCodeUnits = /[\uD800-\uFFFF]/;

/**
 * The numbers of `terms` in ascending UTF-8 byte order of the terms (the dictionary's order). That is
 * JavaScript's string order unless a term has a code unit from U+D800 up; only then are bytes compared.
 */
function termsInByteOrder(terms: readonly string[]): number[] {
  const order = Array.from({ length: terms.length }, (_, number) => number);
  if (!terms.some((term) => highCodeUnits.test(term)))
    return order.sort((a, b) => (terms[a]! < terms[b]! ? -1 : terms[a]! > terms[b]! ? 1 : 0));
  const bytes = terms.map((term) => Buffer.from(term, 'utf8'));
  return order.sort((a, b) => Buffer.compare(bytes[a]!, bytes[b]!));
}
