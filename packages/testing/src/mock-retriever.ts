import { ApiCallError, type Passage, type Retriever, type RetrieverSearchOptions } from '@research-ts/spec';
import { delay } from '@research-ts/spec';

/** One recorded `search` call of a {@link MockRetriever}. */
export interface MockRetrieverCall {
  queries: string[];
  k: number;
  /** Whether this call was made to fail by {@link MockRetriever.failNext} (or `failTimes`). */
  failed: boolean;
}

export interface MockRetrieverOptions {
  name?: string;
  /** Fail the first `failTimes` calls (see {@link MockRetriever.failNext}). */
  failTimes?: number;
  /** The error a failing call rejects with; by default a retryable {@link ApiCallError}. */
  failWith?: (callIndex: number) => unknown;
  /** Wait this long before answering each call (aborts early when the call's signal aborts). */
  delayMs?: number;
}

/** Lowercased runs of letters and digits (Unicode-aware); everything else separates terms. */
export function termsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * A deterministic term-overlap retriever over a fixed list of passages.
 *
 * Score of a passage for a query = the number of *distinct* query terms (see {@link termsOf}) that
 * occur in the passage's `contents`. Passages with score 0 are not returned. Results are sorted by
 * score descending, then by passage id ascending (JavaScript `<` on the id strings), and cut to `k`.
 * Each result is a copy of the corpus passage with `score` set; `id` and `contents` are unchanged.
 *
 * It records every call in {@link calls}, can be told to fail the next N calls, and can delay.
 */
export class MockRetriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  /** Every `search` call, in order, including failed ones. */
  readonly calls: MockRetrieverCall[] = [];
  delayMs: number;
  private readonly passages: readonly Passage[];
  private readonly passageTerms: ReadonlyArray<ReadonlySet<string>>;
  private failuresLeft: number;
  private failWith: (callIndex: number) => unknown;

  constructor(passages: readonly Passage[], options: MockRetrieverOptions = {}) {
    this.name = options.name ?? 'mock';
    this.passages = passages.map((passage) => ({ ...passage }));
    this.passageTerms = this.passages.map((passage) => new Set(termsOf(passage.contents)));
    this.failuresLeft = options.failTimes ?? 0;
    this.failWith = options.failWith ?? defaultFailure;
    this.delayMs = options.delayMs ?? 0;
  }

  /** Makes the next `times` calls reject (with `error(callIndex)` when given, else a retryable ApiCallError). */
  failNext(times: number, error?: (callIndex: number) => unknown): void {
    this.failuresLeft = times;
    if (error !== undefined) this.failWith = error;
  }

  async search(queries: readonly string[], k: number, options: RetrieverSearchOptions = {}): Promise<Passage[][]> {
    const callIndex = this.calls.length;
    const failing = this.failuresLeft > 0;
    if (failing) this.failuresLeft -= 1;
    this.calls.push({ queries: [...queries], k, failed: failing });
    options.signal?.throwIfAborted();
    if (this.delayMs > 0) await delay(this.delayMs, options.signal);
    if (failing) throw this.failWith(callIndex);
    return queries.map((query) => this.searchOne(query, k));
  }

  private searchOne(query: string, k: number): Passage[] {
    const queryTerms = new Set(termsOf(query));
    if (queryTerms.size === 0 || k <= 0) return [];
    const scored: Passage[] = [];
    this.passages.forEach((passage, index) => {
      const terms = this.passageTerms[index]!;
      let score = 0;
      for (const term of queryTerms) if (terms.has(term)) score += 1;
      if (score > 0) scored.push({ ...passage, score });
    });
    scored.sort((a, b) => b.score! - a.score! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return scored.slice(0, k);
  }
}

function defaultFailure(callIndex: number): ApiCallError {
  return new ApiCallError(`mock retriever failure on call ${callIndex}`, { url: 'mock://retriever', statusCode: 503 });
}
