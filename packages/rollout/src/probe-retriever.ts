import { ApiCallError, type Retriever } from '@research-ts/spec';
import { resolveRetryOptions, searchWithRetry, type RetryOptions } from './search-with-retry';

export interface ProbeRetrieverOptions {
  /** The query of the test search. Default `'retriever check'`. */
  query?: string;
  /** Passages asked for. Default 1. */
  topK?: number;
  /** Tries of the test search (default 1: an HTTP client retries inside its own call). */
  retry?: RetryOptions;
  signal?: AbortSignal;
}

/**
 * One search before any work, so that a retriever that cannot be reached, or that speaks another API,
 * stops a run at its start with an error naming it, instead of ending every rollout with `'error'`.
 * A search rather than a health call: Search-R1's retrieval server has no `/health`. Resolves when the
 * retriever answered with one result list; rejects with an {@link ApiCallError} otherwise.
 */
export async function probeRetriever(retriever: Retriever, options: ProbeRetrieverOptions = {}): Promise<void> {
  const outcome = await searchWithRetry(retriever, [options.query ?? 'retriever check'], options.topK ?? 1, {
    retry: resolveRetryOptions({ attempts: 1, ...options.retry }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!outcome.ok) {
    throw new ApiCallError(`the retriever cannot be used: its test search failed (${outcome.error})`, {
      url: `retriever:${retriever.name}`,
      isRetryable: false,
    });
  }
}
