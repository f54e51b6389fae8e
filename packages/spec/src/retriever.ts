import type { Passage } from './passage';

export interface RetrieverSearchOptions {
  /** Cancels the search (a timeout in the caller, a user abort). */
  signal?: AbortSignal;
}

/**
 * A search backend. `search` takes a batch of queries and returns, for each query in order, at most
 * `k` passages, best first. Equal scores are ordered by passage id ascending (JavaScript string order,
 * `a < b`). An empty or whitespace-only query returns [].
 */
export interface Retriever {
  readonly specificationVersion: 'v1';
  /** A short name for logs and reports (`flexsearch`, `http:…`). */
  readonly name: string;
  search(queries: readonly string[], k: number, options?: RetrieverSearchOptions): Promise<Passage[][]>;
}
