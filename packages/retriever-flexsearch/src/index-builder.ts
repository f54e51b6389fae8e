import type { Analyzer } from './analyzer';
import { FlexsearchPostings } from './backend/flexsearch';
import type { Bm25Parameters } from './bm25';
import type { IndexData } from './index-data';
import { PostingAccumulator } from './posting-accumulator';
import { TermTable } from './term-table';

/**
 * Adds passages one at a time and hands over the index data. Per passage: analyze, number its terms
 * (a {@link TermTable}; ASCII text is scanned in place, without a string per term), count them in typed
 * arrays and append its postings to a {@link PostingAccumulator}. `finish` sorts the postings by term
 * and gives them to flexsearch in one import.
 */
export class IndexBuilder {
  private readonly analyzer: Analyzer;
  private readonly bm25: Bm25Parameters;
  private readonly accumulator = new PostingAccumulator();
  private readonly termTable = new TermTable();
  private readonly ids: string[] = [];
  private readonly contents: string[] = [];
  private documentLengths = new Uint32Array(1024);
  private totalLength = 0;
  private readonly positionById = new Map<string, number>();
  /** `[terms]` occurrences of each term in the passage being added; zero between passages. */
  private counts = new Uint32Array(1 << 16);
  /** `[distinct terms of the passage]` its term numbers, in first-occurrence order, and their counts. */
  private distinctNumbers = new Int32Array(256);
  private frequencies = new Uint32Array(256);
  private distinctCount = 0;

  constructor(analyzer: Analyzer, bm25: Bm25Parameters) {
    this.analyzer = analyzer;
    this.bm25 = bm25;
  }

  get size(): number {
    return this.ids.length;
  }

  /** The 0-based position of the passage already added with this id, if any. */
  positionOf(id: string): number | undefined {
    return this.positionById.get(id);
  }

  /** Adds one passage; the caller has checked that its id is new. */
  add(id: string, contents: string): void {
    const document = this.ids.length;
    this.distinctCount = 0;
    let length = 0;
    const text = this.analyzer.asciiTermText(contents);
    if (text !== undefined) {
      // The terms are the maximal runs of [a-z0-9]: scan them, hashing on the way.
      const end = text.length;
      let index = 0;
      while (index < end) {
        let code = text.charCodeAt(index);
        if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57))) {
          index += 1;
          continue;
        }
        const start = index;
        let hash = 0x811c9dc5 | 0;
        do {
          hash = Math.imul(hash ^ code, 0x01000193);
          index += 1;
          code = text.charCodeAt(index);
        } while ((code >= 97 && code <= 122) || (code >= 48 && code <= 57));
        this.count(this.termTable.numberOfRange(text, start, index, hash));
        length += 1;
      }
    } else {
      for (const term of this.analyzer.terms(contents)) {
        this.count(this.termTable.numberOf(term));
        length += 1;
      }
    }
    const counts = this.counts;
    for (let index = 0; index < this.distinctCount; index += 1) {
      const number = this.distinctNumbers[index]!;
      this.frequencies[index] = counts[number]!;
      counts[number] = 0;
    }
    this.accumulator.add(this.distinctNumbers, this.frequencies, this.distinctCount);

    if (document === this.documentLengths.length) {
      const grown = new Uint32Array(this.documentLengths.length * 2);
      grown.set(this.documentLengths);
      this.documentLengths = grown;
    }
    this.documentLengths[document] = length;
    this.totalLength += length;
    this.ids.push(id);
    this.contents.push(contents);
    this.positionById.set(id, document);
  }

  /** Counts one occurrence of term `number` in the passage being added. */
  private count(number: number): void {
    if (number >= this.counts.length) {
      const grown = new Uint32Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    const previous = this.counts[number]!;
    if (previous === 0) {
      if (this.distinctCount === this.distinctNumbers.length) {
        const numbers = new Int32Array(this.distinctNumbers.length * 2);
        numbers.set(this.distinctNumbers);
        this.distinctNumbers = numbers;
        this.frequencies = new Uint32Array(numbers.length);
      }
      this.distinctNumbers[this.distinctCount] = number;
      this.distinctCount += 1;
    }
    this.counts[number] = previous + 1;
  }

  /** The finished index; the builder must not be used afterwards. */
  finish(): IndexData {
    this.positionById.clear();
    this.counts = new Uint32Array(0);
    const terms = this.termTable.terms;
    const lists = this.accumulator.finish(terms.length);
    const entries = new Array<[string, Array<number[] | undefined>]>(terms.length);
    for (let number = 0; number < terms.length; number += 1) entries[number] = [terms[number]!, lists[number]!];
    const documents: number[] = [];
    for (let document = 0; document < this.ids.length; document += 1)
      if (this.documentLengths[document]! > 0) documents.push(document);
    const overflow = new Map<string, Map<number, number>>();
    for (const [number, frequencies] of this.accumulator.overflow) overflow.set(terms[number]!, frequencies);
    const postings = new FlexsearchPostings();
    postings.importPostings(documents, entries, overflow);
    return {
      ids: this.ids,
      contents: this.contents,
      documentLengths: this.documentLengths.slice(0, this.ids.length),
      totalLength: this.totalLength,
      postings,
      analyzer: this.analyzer,
      bm25: this.bm25,
    };
  }
}
