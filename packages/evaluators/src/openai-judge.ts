import {
  ApiCallError,
  invalidConfigOf,
  parseRetryAfter,
  TimeoutError,
  withRetries,
  type Judge,
  type JudgeItem,
  type JudgeVerdict,
} from '@research-ts/spec';
import { z } from 'zod';
import { renderJudgePrompt } from './judge-prompt';

/** The options of {@link createOpenAIJudge}, with ReSearch's settings as defaults (research-paper.md §1.8). */
export const openAIJudgeOptionsSchema = z.object({
  baseURL: z
    .url()
    .describe(
      'Base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1; requests go to {baseURL}/chat/completions.',
    ),
  apiKey: z
    .string()
    .optional()
    .describe(
      'Sent as `Authorization: Bearer <apiKey>`; without one (a local judge server) no Authorization header is sent.',
    ),
  model: z.string().min(1).default('gpt-4o-mini').describe('The judge model; ReSearch used gpt-4o-mini.'),
  concurrency: z
    .number()
    .int()
    .positive()
    .default(10)
    .describe('Requests in flight at once; ReSearch used 10 worker threads.'),
  maxRetries: z
    .number()
    .int()
    .nonnegative()
    .default(5)
    .describe('Retries after the first attempt, on 408/429/5xx, timeouts, network errors and unusable judge output.'),
  timeoutMs: z
    .number()
    .positive()
    .default(60_000)
    .describe('Deadline of one attempt, reading the whole response included.'),
  initialBackoffMs: z
    .number()
    .nonnegative()
    .default(1_000)
    .describe('Backoff before the first retry; it doubles per retry, with jitter (×0.5 to ×1).'),
  maxBackoffMs: z.number().nonnegative().default(30_000).describe('Upper bound of one backoff.'),
  maxRetryAfterMs: z
    .number()
    .nonnegative()
    .default(60_000)
    .describe('A server Retry-After longer than this is cut to this, so one header cannot stall a run.'),
});

export type OpenAIJudgeOptions = z.input<typeof openAIJudgeOptionsSchema> & {
  /** The fetch to use (a proxy-aware one, a mock); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1); defaults to Math.random. */
  random?: () => number;
  /** Called before each retry with the reason and the wait, for logs and metrics. */
  onRetry?: (event: { item: number; attempt: number; delayMs: number; error: string }) => void;
};

const verdictSchema = z.object({
  rationale: z.string(),
  judgement: z.enum(['correct', 'incorrect']),
});

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

type Attempt =
  | { kind: 'verdict'; verdict: JudgeVerdict }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'fatal'; error: string };

const responseBodyLimit = 500;

/**
 * An LLM judge over any OpenAI-compatible chat-completions API, as ReSearch's `llm_judge.py` runs it:
 * one user message with the exact ReSearch prompt, `temperature: 0`, `max_tokens: 1024`,
 * `response_format: { type: 'json_object' }`; the reply must be JSON with a string `rationale` and a
 * `judgement` of exactly `'correct'` or `'incorrect'`.
 *
 * Requests run `concurrency` at a time. An attempt is retried, with exponential backoff and jitter
 * (or the server's `Retry-After` / `retry-after-ms` when given), after HTTP 408/429/5xx, a timeout, a
 * network error, or a reply that is not such JSON. An item that still has no verdict after
 * `maxRetries` retries, or that got a non-retryable HTTP error (400, 401, …), gets
 * `{ status: 'failed', error }`: it is reported, never counted as correct or incorrect.
 * Aborting `options.signal` rejects `judge` with the signal's reason.
 */
export function createOpenAIJudge(options: OpenAIJudgeOptions): Judge {
  const parsed = openAIJudgeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalidConfigOf(parsed.error.issues);
  }
  const settings = parsed.data;
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const url = `${settings.baseURL.replace(/\/+$/, '')}/chat/completions`;

  async function attemptOnce(item: JudgeItem, signal: AbortSignal | undefined): Promise<Attempt> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, settings.timeoutMs);
    const forwardAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const response = await fetchImplementation(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.apiKey === undefined ? {} : { authorization: `Bearer ${settings.apiKey}` }),
        },
        body: JSON.stringify({
          model: settings.model,
          messages: [{ role: 'user', content: renderJudgePrompt(item) }],
          temperature: 0,
          max_tokens: 1024,
          response_format: { type: 'json_object' },
        }),
        signal: controller.signal,
      });
      const text = await response.text();
      if (!response.ok) {
        const error = new ApiCallError(`HTTP ${response.status} from ${url}: ${text.slice(0, responseBodyLimit)}`, {
          url,
          statusCode: response.status,
          responseBody: text,
        });
        if (!error.isRetryable) return { kind: 'fatal', error: error.message };
        const retryAfterMs = parseRetryAfter(response.headers, settings.maxRetryAfterMs);
        return retryAfterMs === undefined
          ? { kind: 'retry', error: error.message }
          : { kind: 'retry', error: error.message, retryAfterMs };
      }
      return parseCompletion(text);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut)
        return { kind: 'retry', error: new TimeoutError(`judge request to ${url}`, settings.timeoutMs).message };
      return {
        kind: 'retry',
        error: `network error calling ${url}: ${error instanceof Error ? error.message : String(error)}`,
      };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forwardAbort);
    }
  }

  async function judgeOne(item: JudgeItem, index: number, signal: AbortSignal | undefined): Promise<JudgeVerdict> {
    const result = await withRetries<JudgeVerdict, string>(
      async () => {
        const outcome = await attemptOnce(item, signal);
        if (outcome.kind === 'verdict') return { ok: true, value: outcome.verdict };
        if (outcome.kind === 'fatal') return { ok: true, value: { status: 'failed', error: outcome.error } };
        return outcome.retryAfterMs === undefined
          ? { ok: false, error: outcome.error }
          : { ok: false, error: outcome.error, retryAfterMs: outcome.retryAfterMs };
      },
      {
        maxRetries: settings.maxRetries,
        backoff: { initialMs: settings.initialBackoffMs, maxMs: settings.maxBackoffMs, random },
        signal,
        onRetry: ({ attempt, delayMs, error }) => options.onRetry?.({ item: index, attempt, delayMs, error }),
      },
    );
    return result.ok
      ? result.value
      : { status: 'failed', error: `${result.error} (gave up after ${settings.maxRetries + 1} attempts)` };
  }

  return {
    specificationVersion: 'v1',
    name: `openai:${settings.model}`,
    async judge(items, judgeOptions = {}) {
      const { signal } = judgeOptions;
      if (signal?.aborted) throw signal.reason;
      const verdicts: JudgeVerdict[] = new Array(items.length);
      let next = 0;
      // Each worker listens on a signal of its own, and one listener on the caller's signal aborts them all:
      // a listener per worker on the caller's signal passes Node's limit of 10 (MaxListenersExceededWarning).
      const workers = Array.from({ length: Math.min(settings.concurrency, items.length) }, () => new AbortController());
      const forwardAbort = () => {
        for (const controller of workers) controller.abort(signal?.reason);
      };
      signal?.addEventListener('abort', forwardAbort, { once: true });
      const worker = async (workerSignal: AbortSignal | undefined) => {
        while (next < items.length) {
          const index = next;
          next += 1;
          verdicts[index] = await judgeOne(items[index]!, index, workerSignal);
        }
      };
      try {
        await Promise.all(workers.map((controller) => worker(signal === undefined ? undefined : controller.signal)));
      } finally {
        signal?.removeEventListener('abort', forwardAbort);
      }
      return verdicts;
    },
  };
}

function parseCompletion(text: string): Attempt {
  const body = safeJsonParse(text);
  const completion = completionSchema.safeParse(body);
  if (!completion.success)
    return { kind: 'retry', error: `unexpected completion body: ${text.slice(0, responseBodyLimit)}` };
  const content = completion.data.choices[0]!.message.content;
  const verdict = verdictSchema.safeParse(safeJsonParse(content));
  if (!verdict.success) {
    return {
      kind: 'retry',
      error: `judge output is not {"rationale", "judgement": "correct"|"incorrect"}: ${content.slice(0, responseBodyLimit)}`,
    };
  }
  return { kind: 'verdict', verdict: { status: verdict.data.judgement, rationale: verdict.data.rationale } };
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
