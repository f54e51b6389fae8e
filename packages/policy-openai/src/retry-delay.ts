/**
 * How long to wait before a retry that the server asked to delay: `retry-after-ms` (milliseconds, as
 * OpenAI sends it) or `Retry-After` (RFC 9110: seconds, or an HTTP date), capped at `capMs`.
 * Undefined when the response has neither header or it cannot be read.
 */
export function parseRetryAfter(headers: Headers, capMs: number, now: number = Date.now()): number | undefined {
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return Math.min(milliseconds, capMs);
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Number(value) * 1000, capMs);
  // An HTTP date names a weekday and a month; anything else (`-3`, `1e3`) is unreadable, not a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), capMs);
}

/**
 * Exponential backoff with jitter: `min(maxMs, initialMs · 2^retry) · (0.5 + 0.5 · random)`, where
 * `retry` counts from 0 and `random` is in [0, 1). The jitter spreads the retries of many clients that
 * failed together (a restarting server, a 429 burst).
 */
export function backoffDelay(retry: number, settings: { initialBackoffMs: number; maxBackoffMs: number }, random: () => number): number {
  const ceiling = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** retry);
  return ceiling * (0.5 + 0.5 * random());
}

export { delay as sleep } from '@research-ts/spec';
