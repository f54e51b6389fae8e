import type { Analyzer } from './analyzer';
import type { FlexsearchPostings } from './backend/flexsearch';
import type { Bm25Parameters } from './bm25';

/** Everything a built index holds; document `d` is `ids[d]` / `contents[d]`. */
export interface IndexData {
  ids: string[];
  contents: string[];
  /** `[documents]` number of analyzed terms of each passage (its BM25 length). */
  documentLengths: Uint32Array;
  /** Sum of `documentLengths`. */
  totalLength: number;
  postings: FlexsearchPostings;
  analyzer: Analyzer;
  bm25: Bm25Parameters;
}
