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
  /** Term → term number, while building: one canonical string per term, and counting in typed arrays. */
  private readonly termNumbers = new Map<string, number>();
  private readonly vocabulary: string[] = [];
  /** `[terms]` occurrences of each term in the passage being added; zero between passages. */
  private counts = new Uint32Array(1 << 16);
  private distinctTerms: string[] = [];
  private distinctNumbers = new Int32Array(256);
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
    if (this.distinctNumbers.length < terms.length) {
      this.distinctNumbers = new Int32Array(terms.length * 2);
      this.frequencies = new Uint32Array(terms.length * 2);
    }
    const distinctTerms = this.distinctTerms;
    distinctTerms.length = 0;
    for (const term of terms) {
      let number = this.termNumbers.get(term);
      if (number === undefined) {
        number = this.vocabulary.length;
        this.termNumbers.set(term, number);
        this.vocabulary.push(term);
        if (number === this.counts.length) {
          const grown = new Uint32Array(this.counts.length * 2);
          grown.set(this.counts);
          this.counts = grown;
        }
      }
      if (this.counts[number] === 0) {
        this.distinctNumbers[distinctTerms.length] = number;
        distinctTerms.push(this.vocabulary[number]!);
      }
      this.counts[number] = this.counts[number]! + 1;
    }
    for (let index = 0; index < distinctTerms.length; index += 1) {
      const number = this.distinctNumbers[index]!;
      this.frequencies[index] = this.counts[number]!;
      this.counts[number] = 0;
    }
    this.postings.add(document, distinctTerms, this.frequencies);

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
    this.termNumbers.clear();
    this.vocabulary.length = 0;
    this.counts = new Uint32Array(0);
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
