import type { Analyzer } from './analyzer';
import { FlexsearchPostings } from './backend/flexsearch';
import type { Bm25Parameters } from './bm25';
import type { IndexData } from './index-data';

/** Adds passages one at a time (analyze, count terms, post to flexsearch) and hands over the index data. */
export class IndexBuilder {
  private readonly analyzer: Analyzer;
  private readonly bm25: Bm25Parameters;
  private readonly postings = new FlexsearchPostings();
  private readonly ids: string[] = [];
  private readonly contents: string[] = [];
  private documentLengths = new Uint32Array(1024);
  private totalLength = 0;
  private readonly positionById = new Map<string, number>();
  private readonly termCounts = new Map<string, number>();
  private frequencies = new Uint32Array(256);

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
    const terms = this.analyzer.terms(contents);
    const counts = this.termCounts;
    counts.clear();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    if (this.frequencies.length < counts.size) this.frequencies = new Uint32Array(counts.size * 2);
    const distinct: string[] = [];
    for (const [term, count] of counts) {
      this.frequencies[distinct.length] = count;
      distinct.push(term);
    }
    this.postings.add(document, distinct, this.frequencies);

    if (document === this.documentLengths.length) {
      const grown = new Uint32Array(this.documentLengths.length * 2);
      grown.set(this.documentLengths);
      this.documentLengths = grown;
    }
    this.documentLengths[document] = terms.length;
    this.totalLength += terms.length;
    this.ids.push(id);
    this.contents.push(contents);
    this.positionById.set(id, document);
  }

  /** The finished index; the builder must not be used afterwards. */
  finish(): IndexData {
    this.positionById.clear();
    return {
      ids: this.ids,
      contents: this.contents,
      documentLengths: this.documentLengths.slice(0, this.ids.length),
      totalLength: this.totalLength,
      postings: this.postings,
      analyzer: this.analyzer,
      bm25: this.bm25,
    };
  }
}
