import {
  createSemaphore,
  InvalidConfigError,
  InvalidInputError,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateResult,
  type Policy,
  type Tokenizer,
} from '@research-ts/spec';
import { buildCompletionRequestBody } from './build-completion-request-body';
import { choiceToResult } from './completion-choice';
import { completionServerProfiles, completionServers, type CompletionServer } from './completion-server';
import { requestCompletion, type CompletionTransport, type RetryEvent } from './request-completion';
import type { WeightPin, WeightSync } from './weight-sync';

export interface OpenAICompletionsPolicyOptions {
  /** The API root, ending in `/v1` (e.g. `http://127.0.0.1:8000/v1`); requests go to `{baseURL}/completions`. */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>` when given. */
  apiKey?: string;
  /** The served model name (`--served-model-name`, or the model path the server was started with). */
  model: string;
  /**
   * Decodes prompts for servers that take text, and re-encodes the generated text when the server
   * returns no token ids (approximate: see the README). Required for `llama.cpp` and `generic`.
   */
  tokenizer?: Tokenizer;
  /** Which server dialect to speak. Default `'vllm'`. */
  server?: CompletionServer;
  /** Deadline of one attempt in milliseconds, reading the whole response included. Default 600 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 408/429/5xx, network errors, timeouts, malformed JSON. Default 3. */
  maxRetries?: number;
  /** Requests in flight at once, over all `generate` calls of this policy. Default 64. */
  concurrency?: number;
  /** Report `logprobs` (one per output id) in each result. Default false. */
  logprobs?: boolean;
  /** Backoff before the first retry; it doubles per retry, with jitter (×0.5 to ×1). Default 500. */
  initialBackoffMs?: number;
  /** Upper bound of one backoff. Default 30 000. */
  maxBackoffMs?: number;
  /** A server `Retry-After` longer than this is cut to this. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Fields merged last into every request body (e.g. `{ repetition_penalty: 1.05 }`). */
  extraBody?: Readonly<Record<string, unknown>>;
  /** Extra HTTP headers of every request. */
  headers?: Readonly<Record<string, string>>;
  /** The fetch to use (a proxy-aware one, a mock). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Called before each retry, for logs and metrics. */
  onRetry?: (event: RetryEvent) => void;
  /**
   * The weight sync that keeps this server in step with the trainer. With it, every `generate` call holds one
   * weight version for its whole duration (a sync waits for it), requests the current LoRA adapter's name
   * instead of `model` once one is loaded, and marks each result with `weightVersion`.
   */
  weightSync?: WeightSync;
}

/** A {@link Policy} over a completions server, with its weight version when a {@link WeightSync} is given. */
export interface OpenAICompletionsPolicy extends Policy {
  /** The version the next generate call would use: the weight sync's; undefined without one. */
  readonly weightVersion: number | undefined;
  /**
   * Runs `work` (a whole rollout: several generate calls, searches between them) with one weight version
   * held: every generate of `pinned` uses that version and model name, and a sync waits until `work` settles.
   * Calling `weightSync.sync` inside `work` would wait forever. Without a weight sync, `pinned` is this policy
   * and `weightVersion` is undefined. Rejects with `signal.reason` if it aborts while waiting for a sync.
   */
  withPinnedWeights<T>(
    work: (pinned: Policy, weightVersion: number | undefined) => Promise<T>,
    options?: { signal?: AbortSignal },
  ): Promise<T>;
}

const defaults = {
  server: 'vllm',
  timeoutMs: 600_000,
  maxRetries: 3,
  concurrency: 64,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
} as const;

/**
 * A {@link Policy} over an OpenAI-compatible `/v1/completions` endpoint (vLLM, SGLang, llama.cpp
 * server, or any other). Each request of a batch is one HTTP request, `concurrency` at a time; token ids
 * go in as the prompt and come back as `outputIds`, stop strings stay in the text (appended back when
 * the server strips them, as ReSearch does after SGLang), and `onText` streams the text through
 * server-sent events. If any request of a batch fails for good, `generate` rejects with its error
 * (`ApiCallError`, `TimeoutError`, `UnsupportedError`) and cancels the others; aborting
 * `options.signal` rejects with the signal's reason.
 */
export function createOpenAICompletionsPolicy(options: OpenAICompletionsPolicyOptions): OpenAICompletionsPolicy {
  const settings = validateOptions(options);
  const semaphore = createSemaphore(settings.concurrency);
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const transport: CompletionTransport = {
    url: `${settings.baseURL.replace(/\/+$/, '')}/completions`,
    headers,
    fetch: options.fetch ?? globalThis.fetch,
    maxRetries: settings.maxRetries,
    timeoutMs: settings.timeoutMs,
    initialBackoffMs: settings.initialBackoffMs,
    maxBackoffMs: settings.maxBackoffMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    random: options.random ?? Math.random,
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
  };
  const logprobs = options.logprobs ?? false;

  const { weightSync } = options;
  const name = `openai-completions:${settings.server}:${settings.model}`;

  /** One generate call with the weights `pin` holds (undefined: no weight sync). */
  const generateWith = async (
    pin: Pick<WeightPin, 'version' | 'adapterName'> | undefined,
    requests: readonly GenerateRequest[],
    generateOptions: GenerateOptions,
  ): Promise<GenerateResult[]> => {
    const { signal, onText } = generateOptions;
    if (signal?.aborted) throw signal.reason;
    const streaming = onText !== undefined;
    const model = pin?.adapterName ?? settings.model;
    // Build (and so validate) every body before the first request leaves.
    const bodies = requests.map((request, index) =>
      buildCompletionRequestBody(request, {
        server: settings.server,
        model,
        tokenizer: options.tokenizer,
        logprobs,
        stream: streaming,
        index,
        ...(options.extraBody === undefined ? {} : { extraBody: options.extraBody }),
      }),
    );
    // One controller per request, aborted together by one listener on the caller's signal: a shared
    // batch signal would collect an abort listener per request (and per waiter for a slot), which
    // passes Node's limit of 10 listeners and prints MaxListenersExceededWarning for any batch of 11+.
    const controllers = requests.map(() => new AbortController());
    const abortBatch = (reason: unknown) => {
      for (const controller of controllers) controller.abort(reason);
    };
    const forwardAbort = () => abortBatch(signal?.reason);
    signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      return await Promise.all(
        requests.map(async (request, index) => {
          try {
            return await generateOne(request, bodies[index]!, index, controllers[index]!.signal);
          } catch (error) {
            abortBatch(error);
            throw error;
          }
        }),
      );
    } finally {
      signal?.removeEventListener('abort', forwardAbort);
    }

    async function generateOne(
      request: GenerateRequest,
      body: Record<string, unknown>,
      index: number,
      requestSignal: AbortSignal,
    ): Promise<GenerateResult> {
      if (request.maxNewTokens === 0) return versioned({ outputIds: [], text: '', finishReason: 'length' });
      const release = await semaphore.acquire(requestSignal);
      try {
        const { result, appendedText } = await requestCompletion(transport, body, {
          index,
          signal: requestSignal,
          ...(onText === undefined ? {} : { onDelta: (delta: string) => onText(index, delta) }),
          finish: (choice) =>
            choiceToResult(choice, {
              server: settings.server,
              url: transport.url,
              stopStrings: request.stopStrings ?? [],
              tokenizer: options.tokenizer,
              logprobs,
            }),
        });
        if (appendedText !== '') onText?.(index, appendedText);
        return versioned(result);
      } finally {
        release();
      }
    }

    function versioned(result: GenerateResult): GenerateResult {
      return pin === undefined ? result : { ...result, weightVersion: pin.version };
    }
  };

  const policy: OpenAICompletionsPolicy = {
    specificationVersion: 'v1',
    name,
    get weightVersion() {
      return weightSync?.version;
    },
    async generate(requests, generateOptions = {}) {
      if (weightSync === undefined) return generateWith(undefined, requests, generateOptions);
      if (generateOptions.signal?.aborted) throw generateOptions.signal.reason;
      const pin = await weightSync.pin(generateOptions.signal);
      try {
        return await generateWith(pin, requests, generateOptions);
      } finally {
        pin.release();
      }
    },
    async withPinnedWeights(work, pinOptions = {}) {
      if (weightSync === undefined) return work(policy, undefined);
      const pin = await weightSync.pin(pinOptions.signal);
      let open = true;
      const pinned: Policy = {
        specificationVersion: 'v1',
        name,
        generate(requests, generateOptions = {}) {
          if (!open)
            return Promise.reject(
              new InvalidInputError(
                `the pinned policy of weight version ${pin.version} was used after its rollout ended`,
                {
                  source: name,
                },
              ),
            );
          return generateWith(pin, requests, generateOptions);
        },
      };
      try {
        return await work(pinned, pin.version);
      } finally {
        open = false;
        pin.release();
      }
    },
  };
  return policy;
}

interface Settings {
  baseURL: string;
  model: string;
  server: CompletionServer;
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

function validateOptions(options: OpenAICompletionsPolicyOptions): Settings {
  const fail = (path: string, problem: string): never => {
    throw new InvalidConfigError(path, problem);
  };
  let url: URL | undefined;
  try {
    url = new URL(options.baseURL);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fail('baseURL', `must be an http(s) URL such as http://127.0.0.1:8000/v1, got ${JSON.stringify(options.baseURL)}`);
  }
  if (typeof options.model !== 'string' || options.model === '')
    fail('model', 'must be a non-empty string (the served model name)');
  const server = options.server ?? defaults.server;
  if (!(completionServers as readonly string[]).includes(server))
    fail('server', `must be one of ${completionServers.join(', ')}, got ${JSON.stringify(server)}`);
  if (options.tokenizer === undefined && !completionServerProfiles[server].returnsTokenIds) {
    fail('tokenizer', `is required for the ${server} server: it returns no token ids, so the text must be re-encoded`);
  }
  const count = (path: string, value: number | undefined, fallback: number, minimum: number): number => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < minimum)
      fail(path, `must be an integer >= ${minimum}, got ${String(chosen)}`);
    return chosen;
  };
  const duration = (path: string, value: number | undefined, fallback: number, positive: boolean): number => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen < 0 || (positive && chosen === 0))
      fail(path, `must be a finite number ${positive ? '> 0' : '>= 0'} of milliseconds, got ${String(chosen)}`);
    return chosen;
  };
  return {
    baseURL: options.baseURL,
    model: options.model,
    server,
    timeoutMs: duration('timeoutMs', options.timeoutMs, defaults.timeoutMs, true),
    maxRetries: count('maxRetries', options.maxRetries, defaults.maxRetries, 0),
    concurrency: count('concurrency', options.concurrency, defaults.concurrency, 1),
    initialBackoffMs: duration('initialBackoffMs', options.initialBackoffMs, defaults.initialBackoffMs, false),
    maxBackoffMs: duration('maxBackoffMs', options.maxBackoffMs, defaults.maxBackoffMs, false),
    maxRetryAfterMs: duration('maxRetryAfterMs', options.maxRetryAfterMs, defaults.maxRetryAfterMs, false),
  };
}
