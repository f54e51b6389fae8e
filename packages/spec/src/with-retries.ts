import { backoffDelay, type BackoffSettings } from './backoff-delay';
import { delay } from './delay';

/**
 * What one try gave: a value, or a failure that is retried (after `retryAfterMs` when the server asked
 * for a wait, else after the backoff) unless `retryable` is false. A failure that must end the whole
 * call at once (the caller's abort, a bug) is thrown instead.
 */
export type TryOutcome<T, E = unknown> =
  { ok: true; value: T } | { ok: false; error: E; retryable?: boolean; retryAfterMs?: number };

/** Reported before each retry. */
export interface RetryNotice<E = unknown> {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: E;
}

/** How {@link withRetries} repeats a failed try. */
export interface RetryPolicy<E = unknown> {
  /** Retries after the first try (so `maxRetries + 1` tries in all). */
  maxRetries: number;
  backoff: BackoffSettings;
  /** Cap on every wait, a server's `retryAfterMs` included. Default: no cap. */
  maxDelayMs?: number;
  /** Cancels the waits and the tries not yet started; the call then rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  onRetry?: (notice: RetryNotice<E>) => void;
  /** Waits between tries (tests pass a recorder); defaults to spec's `delay`. */
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
}

/** The end of {@link withRetries}: the value, or the last failure and how many tries were made. */
export type RetryResult<T, E = unknown> = { ok: true; value: T } | { ok: false; error: E; attempts: number };

/**
 * The one retry loop of research-ts (HTTP clients, the LLM judge, the rollout's search). Runs
 * `attempt(n)` (n = 1, 2, …) until it succeeds, fails with `retryable: false`, or `policy.maxRetries`
 * retries are spent; between tries it waits the server's `retryAfterMs` or
 * {@link backoffDelay}`(retry, policy.backoff)`, capped by `maxDelayMs`. Resolves the outcome (the
 * caller decides whether a final failure is thrown or reported); rejects with `signal.reason` when
 * the signal aborts, and with whatever `attempt` throws.
 */
export async function withRetries<T, E = unknown>(
  attempt: (attempt: number) => Promise<TryOutcome<T, E>>,
  policy: RetryPolicy<E>,
): Promise<RetryResult<T, E>> {
  const { signal, sleep = delay } = policy;
  for (let tried = 1; ; tried += 1) {
    signal?.throwIfAborted();
    const outcome = await attempt(tried);
    if (outcome.ok) return outcome;
    if (outcome.retryable === false || tried > policy.maxRetries)
      return { ok: false, error: outcome.error, attempts: tried };
    const wait = outcome.retryAfterMs ?? backoffDelay(tried - 1, policy.backoff);
    const delayMs = Math.min(wait, policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
    policy.onRetry?.({ attempt: tried, delayMs, error: outcome.error });
    await sleep(delayMs, signal);
  }
}
