import {
  ApiCallError,
  InvalidConfigError,
  parseRetryAfter,
  ResearchError,
  TimeoutError,
  withRetries,
  type TryOutcome,
} from '@research-ts/spec';
import { serverErrorMessage } from './server-error-message';

/** How a control client (weight sync, adapters) reaches its server; see {@link ServerControlOptions}. */
export interface ServerControlOptions {
  /** The API root the policy uses, ending in `/v1` (`http://127.0.0.1:8000/v1`); SGLang's native routes sit beside it. */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given (vLLM `--api-key`, SGLang `--api-key`). */
  apiKey?: string;
  /** Extra HTTP headers of every request. */
  headers?: Readonly<Record<string, string>>;
  /** Deadline of one attempt in milliseconds; loading full weights can take minutes. Default 600 000. */
  timeoutMs?: number;
  /** Retries after HTTP 408/429/5xx, network errors and timeouts. Default 2. */
  maxRetries?: number;
  /** Backoff before the first retry; doubles per retry, with jitter. Default 1 000. */
  initialBackoffMs?: number;
  /** Upper bound of one backoff, a server's `Retry-After` included. Default 30 000. */
  maxBackoffMs?: number;
  /** The fetch to use. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** The validated settings of a control client. */
export interface ControlTransport {
  /** `baseURL` without a trailing slash (`…/v1`). */
  apiRoot: string;
  /** The server root: `apiRoot` without its final `/v1`. */
  serverRoot: string;
  headers: Readonly<Record<string, string>>;
  fetch: typeof fetch;
  timeoutMs: number;
  maxRetries: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  random: () => number;
}

export function createControlTransport(options: ServerControlOptions): ControlTransport {
  let url: URL | undefined;
  try {
    url = new URL(options.baseURL);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidConfigError(
      'baseURL',
      `must be an http(s) URL such as http://127.0.0.1:8000/v1, got ${JSON.stringify(options.baseURL)}`,
    );
  }
  const number = (path: string, value: number | undefined, fallback: number, integer: boolean): number => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen < 0 || (integer && !Number.isInteger(chosen)))
      throw new InvalidConfigError(path, `must be a finite ${integer ? 'integer' : 'number'} >= 0, got ${chosen}`);
    return chosen;
  };
  const apiRoot = options.baseURL.replace(/\/+$/, '');
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const timeoutMs = number('timeoutMs', options.timeoutMs, 600_000, false);
  if (timeoutMs === 0) throw new InvalidConfigError('timeoutMs', 'must be > 0');
  return {
    apiRoot,
    serverRoot: apiRoot.replace(/\/v1$/, ''),
    headers,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs,
    maxRetries: number('maxRetries', options.maxRetries, 2, true),
    initialBackoffMs: number('initialBackoffMs', options.initialBackoffMs, 1_000, false),
    maxBackoffMs: number('maxBackoffMs', options.maxBackoffMs, 30_000, false),
    random: options.random ?? Math.random,
  };
}

/** A non-2xx answer, for a call's own reading of its server's errors. */
export interface ControlFailure {
  statusCode: number;
  body: string;
  /** 1 for the first try. */
  attempt: number;
}

export interface ControlRequest {
  url: string;
  body: Record<string, unknown>;
  /** Names the server and the call in every error: `vLLM load_lora_adapter("research-ts-v2")`. */
  call: string;
  signal?: AbortSignal | undefined;
  /**
   * Reads a failure: `'done'` when it means the call already took effect (a retried load that finds its
   * adapter loaded), a string to explain it (replaces the server's message), undefined for the default.
   */
  readFailure?: (failure: ControlFailure) => 'done' | { explanation: string } | undefined;
}

/**
 * POSTs one JSON control request (weight sync, adapter load) and resolves its 2xx body as text. Retries
 * HTTP 408/429/5xx, network errors and timeouts through spec's `withRetries` (the server's `Retry-After`
 * first); other statuses fail at once with an `ApiCallError` that names the server, the call, the status
 * and the server's message. After the last try: `TimeoutError` or the last `ApiCallError`.
 */
export async function postControlRequest(
  transport: ControlTransport,
  request: ControlRequest,
): Promise<{ statusCode: number; body: string }> {
  const { url, call, signal } = request;
  const result = await withRetries<{ statusCode: number; body: string }, Error>(
    async (attempt): Promise<TryOutcome<{ statusCode: number; body: string }, Error>> => {
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error('attempt deadline'));
      }, transport.timeoutMs);
      const forwardAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', forwardAbort, { once: true });
      try {
        const response = await transport.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...transport.headers },
          body: JSON.stringify(request.body),
          signal: controller.signal,
        });
        const text = await response.text();
        if (response.ok) return { ok: true, value: { statusCode: response.status, body: text } };
        const reading = request.readFailure?.({ statusCode: response.status, body: text, attempt });
        if (reading === 'done') return { ok: true, value: { statusCode: response.status, body: text } };
        const detail = reading?.explanation ?? serverErrorMessage(text);
        const error = new ApiCallError(`${call} at ${url} failed: HTTP ${response.status}: ${detail}`, {
          url,
          statusCode: response.status,
          responseBody: text,
        });
        if (!error.isRetryable) throw error;
        const retryAfterMs = parseRetryAfter(response.headers, transport.maxBackoffMs);
        return retryAfterMs === undefined ? { ok: false, error } : { ok: false, error, retryAfterMs };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (timedOut) return { ok: false, error: new TimeoutError(`${call} at ${url}`, transport.timeoutMs) };
        if (ResearchError.isInstance(error)) throw error;
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        const message = error instanceof Error ? error.message : String(error);
        return {
          ok: false,
          error: new ApiCallError(`${call} at ${url} failed: network error: ${message}${cause}`, {
            url,
            isRetryable: true,
            cause: error,
          }),
        };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', forwardAbort);
      }
    },
    {
      maxRetries: transport.maxRetries,
      backoff: { initialMs: transport.initialBackoffMs, maxMs: transport.maxBackoffMs, random: transport.random },
      maxDelayMs: transport.maxBackoffMs,
      signal,
    },
  );
  if (result.ok) return result.value;
  const suffix = ` (gave up after ${result.attempts} attempt${result.attempts === 1 ? '' : 's'})`;
  const { error } = result;
  if (error instanceof ApiCallError) {
    throw new ApiCallError(error.message + suffix, {
      url,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
      isRetryable: error.isRetryable,
      cause: error.cause ?? error,
    });
  }
  if (error instanceof TimeoutError) {
    throw new TimeoutError(`${call} at ${url} (the last of ${result.attempts} attempts)`, error.timeoutMs, {
      cause: error,
    });
  }
  throw error;
}
