/** Where response headers are read from: a fetch `Headers`, or anything with the same `get`. */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * How long to wait before a retry that the server asked to delay: `retry-after-ms` (milliseconds, as
 * OpenAI sends it) or `Retry-After` (RFC 9110: seconds, or an HTTP date), capped at `capMs`.
 * Undefined when the response has neither header or it cannot be read (`-3`, `1e3`, a bad date).
 */
export function parseRetryAfter(
  headers: HeaderSource,
  capMs: number = Number.POSITIVE_INFINITY,
  now: number = Date.now(),
): number | undefined {
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
