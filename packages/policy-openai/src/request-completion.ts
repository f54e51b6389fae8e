import {
  ApiCallError,
  parseRetryAfter,
  ResearchError,
  TimeoutError,
  withRetries,
  type TryOutcome,
} from '@research-ts/spec';
import { createChoiceAccumulator, readCompletionChoice, type CompletionChoice } from './completion-choice';
import { messageOf, serverErrorMessage, statusCodeOf } from './server-error-message';
import { createServerSentEventParser } from './server-sent-events';

/** Where and how completions are posted, and how failures are retried. */
export interface CompletionTransport {
  /** `{baseURL}/completions`. */
  url: string;
  headers: Readonly<Record<string, string>>;
  fetch: typeof fetch;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Deadline of one attempt, reading the whole response (or stream) included. */
  timeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
  /** Jitter source in [0, 1). */
  random: () => number;
  onRetry?: (event: RetryEvent) => void;
}

/** Reported before each retry. */
export interface RetryEvent {
  /** Position of the request in its batch. */
  index: number;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface RequestCompletionOptions<T> {
  index: number;
  signal: AbortSignal;
  /** Stream the response (`body.stream` must be true) and pass each text delta here. */
  onDelta?: (delta: string) => void;
  /**
   * Turns the finished choice into the caller's result inside the attempt, so that a retryable
   * `ApiCallError` it throws (a `finish_reason` of `abort`, say) is retried like an HTTP failure.
   */
  finish: (choice: CompletionChoice) => T;
}

type Outcome<T> = TryOutcome<T, Error>;

/**
 * Posts one completion and returns `finish(choice)`. Retries with exponential backoff and jitter (or the
 * server's `Retry-After`) after HTTP 408/429/5xx, network errors, timeouts, malformed JSON and other
 * retryable `ApiCallError`s; fails at once with `ApiCallError` (status and the server's message) on other
 * HTTP errors. After the last attempt it throws `TimeoutError` if that attempt timed out, else the last
 * `ApiCallError`. A streamed request that already passed text to `onDelta` is not retried (the text
 * cannot be taken back). Aborting `signal` rejects at once with its reason.
 */
export async function requestCompletion<T>(
  transport: CompletionTransport,
  body: Record<string, unknown>,
  options: RequestCompletionOptions<T>,
): Promise<T> {
  const { signal } = options;
  const result = await withRetries<T, Error>((_attempt) => attemptOnce(transport, body, options), {
    maxRetries: transport.maxRetries,
    backoff: { initialMs: transport.initialBackoffMs, maxMs: transport.maxBackoffMs, random: transport.random },
    signal,
    onRetry: ({ attempt, delayMs, error }) => transport.onRetry?.({ index: options.index, attempt, delayMs, error }),
  });
  if (result.ok) return result.value;
  throw exhausted(result.error, result.attempts);
}

function exhausted(error: Error, attempts: number): Error {
  const suffix = ` (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  if (error instanceof TimeoutError)
    return new TimeoutError(error.message.replace(/ timed out after \d+ ms$/, '') + suffix, error.timeoutMs, {
      cause: error,
    });
  if (error instanceof ApiCallError) {
    return new ApiCallError(error.message + suffix, {
      url: error.url,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      ...(error.responseBody === undefined ? {} : { responseBody: error.responseBody }),
      isRetryable: error.isRetryable,
      cause: error.cause ?? error,
    });
  }
  return error;
}

async function attemptOnce<T>(
  transport: CompletionTransport,
  body: Record<string, unknown>,
  options: RequestCompletionOptions<T>,
): Promise<Outcome<T>> {
  const { url } = transport;
  const { signal } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('attempt deadline'));
  }, transport.timeoutMs);
  const forwardAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', forwardAbort, { once: true });
  const streaming = options.onDelta !== undefined;
  let emitted = false;
  const retryOrFail = (error: ApiCallError): Outcome<T> => {
    if (!error.isRetryable) throw error;
    if (emitted) throw streamBroke(error, url);
    return { ok: false, error };
  };
  try {
    const response = await transport.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: streaming ? 'text/event-stream' : 'application/json',
        ...transport.headers,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.ok) {
      const text = await response.text();
      const error = new ApiCallError(`HTTP ${response.status} from ${url}: ${serverErrorMessage(text)}`, {
        url,
        statusCode: response.status,
        responseBody: text,
      });
      if (!error.isRetryable) throw error;
      const retryAfterMs = parseRetryAfter(response.headers, transport.maxRetryAfterMs);
      return retryAfterMs === undefined ? { ok: false, error } : { ok: false, error, retryAfterMs };
    }
    let choice: CompletionChoice;
    // A server that ignores `stream: true` answers with plain JSON: read it whole and pass its text on once.
    const answeredJson = (response.headers.get('content-type') ?? '').includes('application/json');
    if (streaming && !answeredJson) {
      const streamed = await readStream(response, url, (delta) => {
        emitted = true;
        options.onDelta!(delta);
      });
      if (streamed.kind === 'error') return retryOrFail(streamed.error);
      choice = streamed.choice;
    } else {
      const text = await response.text();
      const parsed = parseJson(text);
      if (!parsed.ok) {
        return retryOrFail(
          new ApiCallError(`malformed JSON from ${url}: ${text.slice(0, 200)}`, {
            url,
            statusCode: response.status,
            responseBody: text,
            isRetryable: true,
          }),
        );
      }
      choice = readCompletionChoice(firstChoice(parsed.value, url, text), url);
      if (streaming && choice.text !== '') {
        emitted = true;
        options.onDelta!(choice.text);
      }
    }
    try {
      return { ok: true, value: options.finish(choice) };
    } catch (error) {
      if (error instanceof ApiCallError) return retryOrFail(error);
      throw error;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (timedOut) {
      const timeout = new TimeoutError(`completion request to ${url}`, transport.timeoutMs, { cause: error });
      if (emitted) throw streamBroke(timeout, url);
      return { ok: false, error: timeout };
    }
    if (ResearchError.isInstance(error)) throw error;
    const network = new ApiCallError(`network error calling ${url}: ${describeError(error)}`, {
      url,
      isRetryable: true,
      cause: error,
    });
    if (emitted) throw streamBroke(network, url);
    return { ok: false, error: network };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', forwardAbort);
  }
}

function streamBroke(error: Error, url: string): ApiCallError {
  return new ApiCallError(
    `the stream from ${url} failed after text was passed to onText, so it is not retried: ${error.message}`,
    {
      url,
      ...(error instanceof ApiCallError && error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      isRetryable: false,
      cause: error,
    },
  );
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function firstChoice(value: unknown, url: string, text: string): unknown {
  const choices = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).choices : undefined;
  if (!Array.isArray(choices) || choices.length === 0) {
    throw new ApiCallError(`unexpected completion from ${url}: no choices: ${text.slice(0, 500)}`, {
      url,
      statusCode: 200,
      responseBody: text,
      isRetryable: false,
    });
  }
  return choices.find((choice) => (choice as Record<string, unknown> | null)?.index === 0) ?? choices[0];
}

type StreamOutcome = { kind: 'choice'; choice: CompletionChoice } | { kind: 'error'; error: ApiCallError };

/** Reads an SSE completion stream to its end (`[DONE]` or the end of the body), merging the chunks' deltas. */
async function readStream(response: Response, url: string, onDelta: (delta: string) => void): Promise<StreamOutcome> {
  if (response.body === null)
    return {
      kind: 'error',
      error: new ApiCallError(`empty stream from ${url}`, { url, statusCode: response.status, isRetryable: true }),
    };
  const parser = createServerSentEventParser();
  const decoder = new TextDecoder();
  const accumulator = createChoiceAccumulator();
  let done = false;
  const handle = (data: string): StreamOutcome | undefined => {
    if (data.trim() === '[DONE]') {
      done = true;
      return undefined;
    }
    const parsed = parseJson(data);
    if (!parsed.ok) {
      return {
        kind: 'error',
        error: new ApiCallError(`malformed JSON in the stream from ${url}: ${data.slice(0, 200)}`, {
          url,
          statusCode: 200,
          responseBody: data,
          isRetryable: true,
        }),
      };
    }
    const chunk = parsed.value as Record<string, unknown> | null;
    if (typeof chunk === 'object' && chunk !== null && (chunk.error !== undefined || chunk.object === 'error')) {
      const statusCode = statusCodeOf(chunk) ?? 500;
      return {
        kind: 'error',
        error: new ApiCallError(`error in the stream from ${url}: ${messageOf(chunk) ?? data.slice(0, 500)}`, {
          url,
          statusCode,
          responseBody: data,
        }),
      };
    }
    const choices = typeof chunk === 'object' && chunk !== null ? chunk.choices : undefined;
    if (!Array.isArray(choices)) {
      throw new ApiCallError(`unexpected stream chunk from ${url}: no choices: ${data.slice(0, 500)}`, {
        url,
        statusCode: 200,
        responseBody: data,
        isRetryable: false,
      });
    }
    for (const raw of choices) {
      // One prompt per request: any other index is not ours (a usage-only chunk has no choices at all).
      if ((raw as Record<string, unknown> | null)?.index !== undefined && (raw as Record<string, unknown>).index !== 0)
        continue;
      const delta = readCompletionChoice(raw, url);
      accumulator.add(delta);
      if (delta.text !== '') onDelta(delta.text);
    }
    return undefined;
  };
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    for (const event of parser.push(decoder.decode(bytes, { stream: true }))) {
      const outcome = handle(event.data);
      if (outcome !== undefined) return outcome;
      if (done) return finished(accumulator.current(), url);
    }
  }
  for (const event of [...parser.push(decoder.decode()), ...parser.flush()]) {
    const outcome = handle(event.data);
    if (outcome !== undefined) return outcome;
  }
  return finished(accumulator.current(), url);
}

function finished(choice: CompletionChoice, url: string): StreamOutcome {
  if (choice.finishReason === null) {
    return {
      kind: 'error',
      error: new ApiCallError(`the stream from ${url} ended before a finish_reason`, {
        url,
        statusCode: 200,
        isRetryable: true,
      }),
    };
  }
  return { kind: 'choice', choice };
}
