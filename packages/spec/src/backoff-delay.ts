/** How the wait between tries grows. */
export interface BackoffSettings {
  /** Wait before the first retry, in ms. */
  initialMs: number;
  /** Each further wait is this many times longer. Default 2. */
  factor?: number;
  /** Cap on one wait, in ms. Default: no cap. */
  maxMs?: number;
  /**
   * Jitter source in [0, 1): the wait is scaled by `0.5 + 0.5 · random()`, which spreads the retries of
   * many clients that failed together (a restarting server, a 429 burst). Default: no jitter.
   */
  random?: () => number;
}

/**
 * The wait before retry number `retry` (0 for the first retry):
 * `min(maxMs, initialMs · factor^retry)`, times `0.5 + 0.5 · random()` when a jitter source is given.
 */
export function backoffDelay(retry: number, settings: BackoffSettings): number {
  const ceiling = Math.min(
    settings.maxMs ?? Number.POSITIVE_INFINITY,
    settings.initialMs * (settings.factor ?? 2) ** retry,
  );
  return settings.random === undefined ? ceiling : ceiling * (0.5 + 0.5 * settings.random());
}
