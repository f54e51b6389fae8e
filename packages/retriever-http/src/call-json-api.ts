import { ApiCallError, parseRetryAfter, TimeoutError, withRetries, type TryOutcome } from '@research-ts/spec';
import type { z } from 'zod';
import { firstFieldProblem, formatFieldProblem } from './field-error';

/** The transport settings shared by the clients. */
export interface JsonApiSettings {
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  backoffFactor: number;
  maxRetryDelayMs: number;
  fetch: typeof globalThis.fetch;
  headers: Record<string, string>;
}

export interface JsonApiCall {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/** Why a fetch failed below HTTP, in words, from the error code Node's fetch (undici) puts in `cause`. */
const networkProblems: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'the server closed the connection',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_CLOSED: 'the connection was closed',
};

function networkProblem(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return networkProblems[code] ?? code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The `detail` of a FastAPI-style error body, else the body itself, shortened. */
function describeErrorBody(text: string): string {
  let detail: unknown = text;
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (parsed !== null && typeof parsed === 'object' && 'detail' in parsed) detail = parsed.detail;
  } catch {
    // Not JSON: show the text.
  }
  const shown = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return shown.length > 300 ? `${shown.slice(0, 300)}…` : shown;
}

/**
 * One JSON call with a per-attempt timeout and retries. Retried: network failures (the server is
 * down or cut the connection), timeouts, HTTP 408, 429 and 5xx; the wait doubles from `retryDelayMs`
 * (times `backoffFactor`, spec's `backoffDelay`), or follows the server's Retry-After (spec's `parseRetryAfter`), each wait
 * capped by `maxRetryDelayMs`; spec's `withRetries` runs the loop. Not retried: other 4xx, a body that is not JSON,
 * and the caller's own abort (which rejects with the signal's reason at once).
 *
 * Failures: `ApiCallError` (with `statusCode` and `responseBody` when the server answered) or
 * `TimeoutError`; the message names the URL and the attempt (`attempt 6 of 6`).
 */
export async function callJsonApi(call: JsonApiCall, settings: JsonApiSettings): Promise<unknown> {
  const attempts = settings.maxRetries + 1;
  const what = `${call.method} ${call.url}`;
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const attemptOnce = async (attempt: number): Promise<TryOutcome<unknown, ApiCallError | TimeoutError>> => {
    const suffix = attempts > 1 ? ` (attempt ${attempt} of ${attempts})` : '';
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
    let failure: ApiCallError | TimeoutError;
    let retryAfterMs: number | undefined;
    try {
      const response = await settings.fetch(call.url, {
        method: call.method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...settings.headers,
        },
        body,
        signal,
      });
      const text = await response.text();
      if (response.ok) {
        try {
          return { ok: true, value: JSON.parse(text) };
        } catch {
          throw new ApiCallError(
            `${what} answered HTTP ${response.status} with a body that is not JSON: ${describeErrorBody(text)}`,
            {
              url: call.url,
              statusCode: response.status,
              responseBody: text,
              isRetryable: false,
            },
          );
        }
      }
      failure = new ApiCallError(`${what} failed with HTTP ${response.status}: ${describeErrorBody(text)}${suffix}`, {
        url: call.url,
        statusCode: response.status,
        responseBody: text,
      });
      retryAfterMs = parseRetryAfter(response.headers);
    } catch (error) {
      if (ApiCallError.isInstance(error)) throw error;
      if (call.signal?.aborted) throw call.signal.reason;
      failure = timeout.aborted
        ? new TimeoutError(`${what}${suffix}`, settings.timeoutMs, { cause: error })
        : new ApiCallError(`could not reach ${call.url}: ${networkProblem(error)}${suffix}`, {
            url: call.url,
            cause: error,
          });
    }
    const retryable = failure instanceof TimeoutError || failure.isRetryable;
    return { ok: false, error: failure, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  };
  const result = await withRetries(attemptOnce, {
    maxRetries: settings.maxRetries,
    backoff: { initialMs: settings.retryDelayMs, factor: settings.backoffFactor, maxMs: settings.maxRetryDelayMs },
    maxDelayMs: settings.maxRetryDelayMs,
    signal: call.signal,
  });
  if (result.ok) return result.value;
  throw result.error;
}

/** `response field "1.0.2": expected a number or null, got string "x"`. */
export function describeResponseProblem(error: z.ZodError): string {
  return formatFieldProblem(firstFieldProblem(error), { wholeValue: 'response', fieldLabel: 'response field' });
}

/** A 200 answer that does not have the expected shape; not retried (the server would say the same again). */
export function malformed(url: string, problem: string, body: unknown): ApiCallError {
  const text = JSON.stringify(body) ?? String(body);
  return new ApiCallError(`malformed response from ${url}: ${problem}`, {
    url,
    statusCode: 200,
    responseBody: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
    isRetryable: false,
  });
}
