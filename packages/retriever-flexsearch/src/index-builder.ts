import type { Analyzer } from './analyzer';
import { FlexsearchPostings } from './backend/flexsearch';
import type { Bm25Parameters } from './bm25';
import type { IndexData } from './index-data';
import { PassageTermCounter } from './passage-term-counter';
import { PostingAccumulator } from './posting-accumulator';
import { TermTable } from './term-table';

/**
 * Adds passages one at a time and hands over the index data. Per passage: count its terms (a
 * {@link PassageTermCounter} over a {@link TermTable}) and append its postings to a {@link PostingAccumulator}. `finish` sorts the postings by term
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
  private readonly counter = new PassageTermCounter();

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
    const counter = this.counter;
    const length = counter.countTerms(this.analyzer, this.termTable, contents);
    this.accumulator.add(counter.distinctNumbers, counter.frequencies, counter.distinctCount);

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

  /** The finished index; the builder must not be used afterwards. */
  finish(): IndexData {
    this.positionById.clear();
    this.counter.release();
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
