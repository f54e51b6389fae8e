import {
  ApiCallError,
  InvalidConfigError,
  ResearchError,
  TimeoutError,
  withRetries,
  type Passage,
  type Retriever,
} from '@research-ts/spec';

export interface RetryOptions {
  /** Tries in all, the first included (ReSearch: 5). */
  attempts?: number;
  /** Wait after the first failed try, in ms (ReSearch: 1000). */
  delayMs?: number;
  /** Factor on the wait after each further failed try: waits are `delayMs · backoff^(try − 1)`. `1` gives ReSearch's constant 1 s sleeps. */
  backoff?: number;
  /** Abort a call that runs longer than this (ms) and count it as a failed try. Default: no timeout. */
  timeoutMs?: number;
}

export interface ResolvedRetryOptions {
  attempts: number;
  delayMs: number;
  backoff: number;
  timeoutMs: number | undefined;
}

export const defaultRetryOptions: Readonly<ResolvedRetryOptions> = Object.freeze({
  attempts: 5,
  delayMs: 1000,
  backoff: 2,
  timeoutMs: undefined,
});

/** Fills the defaults and validates: attempts a positive integer, delays and factor finite and non-negative (factor ≥ 1). */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = {
    ...defaultRetryOptions,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new InvalidConfigError('retry.attempts', `must be a positive integer, got ${String(resolved.attempts)}`);
  }
  if (!Number.isFinite(resolved.delayMs) || resolved.delayMs < 0)
    throw new InvalidConfigError('retry.delayMs', `must be a finite number ≥ 0, got ${String(resolved.delayMs)}`);
  if (!Number.isFinite(resolved.backoff) || resolved.backoff < 1)
    throw new InvalidConfigError('retry.backoff', `must be a finite number ≥ 1, got ${String(resolved.backoff)}`);
  if (resolved.timeoutMs !== undefined && !(Number.isFinite(resolved.timeoutMs) && resolved.timeoutMs > 0)) {
    throw new InvalidConfigError('retry.timeoutMs', `must be a finite number > 0, got ${String(resolved.timeoutMs)}`);
  }
  return resolved;
}

export type SearchOutcome = { ok: true; results: Passage[][] } | { ok: false; error: string };

export interface SearchWithRetryOptions {
  retry: ResolvedRetryOptions;
  signal?: AbortSignal;
  /** Called after each failed try; `willRetry` says whether another try follows. */
  onError?: (error: unknown, attempt: number, willRetry: boolean) => void;
  /** Waits between tries (tests pass a recorder); defaults to a timer that the signal cancels. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One batched `retriever.search(queries, k)`, tried up to `retry.attempts` times with waits of
 * `delayMs · backoff^(try − 1)`. Any error is retried except an {@link ApiCallError} with
 * `isRetryable: false`; a call past `timeoutMs` is aborted and fails with a {@link TimeoutError}; an
 * answer with the wrong number of result lists is a failed try. When the caller's `signal` aborts,
 * it rejects with the signal's reason. After the last failed try it resolves `{ ok: false, error }`
 * (never invented results).
 */
export async function searchWithRetry(
  retriever: Retriever,
  queries: readonly string[],
  k: number,
  options: SearchWithRetryOptions,
): Promise<SearchOutcome> {
  const { retry, signal, onError, sleep } = options;
  const result = await withRetries<Passage[][]>(
    async (attempt) => {
      try {
        const results = await searchOnce(retriever, queries, k, retry.timeoutMs, signal);
        if (!Array.isArray(results) || results.length !== queries.length || !results.every(Array.isArray)) {
          throw new ApiCallError(
            `retriever returned ${Array.isArray(results) ? results.length : typeof results} result lists for ${queries.length} queries`,
            {
              url: `retriever:${retriever.name}`,
            },
          );
        }
        return { ok: true, value: results };
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason;
        const retryable = !(ResearchError.isInstance(error) && (error as Partial<ApiCallError>).isRetryable === false);
        onError?.(error, attempt, retryable && attempt < retry.attempts);
        return { ok: false, error, retryable };
      }
    },
    {
      maxRetries: retry.attempts - 1,
      backoff: { initialMs: retry.delayMs, factor: retry.backoff },
      ...(signal === undefined ? {} : { signal }),
      ...(sleep === undefined ? {} : { sleep }),
    },
  );
  if (result.ok) return { ok: true, results: result.value };
  const tries = result.attempts;
  return {
    ok: false,
    error: `retriever "${retriever.name}" failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${messageOf(result.error)}`,
  };
}

function searchOnce(
  retriever: Retriever,
  queries: readonly string[],
  k: number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<Passage[][]> {
  if (timeoutMs === undefined) return retriever.search(queries, k, signal === undefined ? {} : { signal });
  const controller = new AbortController();
  const combined = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
  return new Promise<Passage[][]>((resolve, reject) => {
    const timer = setTimeout(() => {
      const timeout = new TimeoutError(`retriever "${retriever.name}" search`, timeoutMs);
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
    let pending: Promise<Passage[][]>;
    try {
      pending = retriever.search(queries, k, { signal: combined });
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    pending.then(
      (results) => {
        clearTimeout(timer);
        resolve(results);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
