import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tokenizer } from '@research-ts/spec';

/**
 * A local `/v1/completions` server for tests that answers in the shape of vLLM (or SGLang, llama.cpp,
 * OpenAI), with a deterministic fake model, and that can be told to fail in scripted ways.
 */
export type FakeFlavor = 'vllm' | 'sglang' | 'llama.cpp' | 'generic';

export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'destroy' }
  | { kind: 'malformed-json' }
  | { kind: 'no-choices' }
  | { kind: 'finish'; finishReason: string | null }
  | { kind: 'stream-error-after-first-token' }
  | { kind: 'stream-cut-after-first-token' }
  | { kind: 'stream-error-first'; body: string };

/** The fake model's view of a request. */
export interface FakeModelInput {
  promptIds: number[];
  promptText: string;
  seed: number | undefined;
  temperature: number | undefined;
}

export interface FakeServerOptions {
  flavor: FakeFlavor;
  tokenizer: Tokenizer;
  /** The ids the model would emit after the prompt, before stops and limits apply. */
  model?: (input: FakeModelInput) => number[];
  /** Whether the server knows `return_token_ids` (vLLM ≥ 0.10.2, recent SGLang). Default true. */
  supportsReturnTokenIds?: boolean;
  /** Whether SGLang honours `no_stop_trim`. Default true. */
  honoursNoStopTrim?: boolean;
  /** Require `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** A fault chosen from the request body (checked before the FIFO `faults` queue). */
  faultFor?: (body: Record<string, unknown>) => Fault | undefined;
  /** How long the fake model "thinks" before answering. Default 5 ms. */
  answerDelayMs?: number;
  /**
   * vLLM: the served model name. When set, a completion must name it or a loaded LoRA adapter, else vLLM's
   * 404 "The model `…` does not exist."
   */
  servedModelName?: string;
  /** vLLM: whether `/v1/load_lora_adapter` and `/v1/unload_lora_adapter` exist (`VLLM_ALLOW_RUNTIME_LORA_UPDATING`). Default true. */
  allowRuntimeLoraUpdating?: boolean;
  /** vLLM: whether an adapter directory exists at a server path. Default: every path. */
  adapterExists?: (path: string) => boolean;
  /** SGLang: whether a model directory exists at a server path. Default: every path. */
  weightsExist?: (path: string) => boolean;
  /** How long a load, unload or weight update takes. Default 5 ms. */
  controlDelayMs?: number;
}

/** What the fake server did, in order: completions starting and ending (with their model), adapter and weight changes. */
export type TimelineEntry =
  | { kind: 'completion-start' | 'completion-end'; model: string }
  | { kind: 'load' | 'unload'; name: string }
  | { kind: 'update-weights'; path: string };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface FakeCompletionsServer {
  /** The base URL to give the policy, ending in `/v1`. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Consumed one per request, first in first out. */
  faults: Fault[];
  /** Requests being handled now, and the most at once so far. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Resolves when the next request arrives (for tests that abort or time out a hanging one). */
  nextRequest(): Promise<RecordedRequest>;
  /** vLLM: the loaded LoRA adapters, name → path. */
  readonly loraAdapters: ReadonlyMap<string, string>;
  /** SGLang: the path and version of the last weight update. */
  readonly weights: { path: string | undefined; version: string | undefined };
  readonly timeline: TimelineEntry[];
  close(): Promise<void>;
}

/** Two ReSearch-style turns: a search until a `<result>` is in the context, then an answer. */
export const searchTurn = '<think> I need the capital of France. </think> <search> capital of France </search>';
export const answerTurn = ' <think> The result says Paris. </think> <answer> The final answer is \\[ \\boxed{Paris} \\] </answer><|im_end|>';
const sampledVariants = [' <answer> \\boxed{Paris} </answer><|im_end|>', ' <answer> \\boxed{Lyon} </answer><|im_end|>', ' <answer> \\boxed{Nice} </answer><|im_end|>'];

/**
 * The default fake model: greedy, it searches first and answers once a result is in the prompt; with a
 * temperature above 0 it picks one of three answers by `seed` (random when no seed is given).
 */
export function scriptedModel(tokenizer: Tokenizer): (input: FakeModelInput) => number[] {
  return ({ promptText, seed, temperature }) => {
    if (temperature !== undefined && temperature > 0) {
      const pick = seed === undefined ? Math.floor(Math.random() * sampledVariants.length) : Math.abs(seed) % sampledVariants.length;
      return tokenizer.encode(sampledVariants[pick]!);
    }
    return tokenizer.encode(promptText.includes('<result>') ? answerTurn : searchTurn);
  };
}

interface Generation {
  ids: number[];
  /** Text of each generated id, the stop's text included. */
  pieces: string[];
  /** The whole generated text, the stop's text included. */
  text: string;
  finishReason: 'stop' | 'length';
  /** vLLM's stop_reason: the stop string, the stop token id, or null (EOS or length). */
  stopReason: string | number | null;
  /** The text of what stopped it (the stop string, or the stop token's text), at the end of `text`. */
  stopText: string;
  matchedEos: number | undefined;
}

function generate(body: Record<string, unknown>, promptIds: number[], options: FakeServerOptions, model: (input: FakeModelInput) => number[]): Generation {
  const { tokenizer, flavor } = options;
  const skipSpecial = flavor === 'generic' || flavor === 'llama.cpp' ? true : body.skip_special_tokens !== false;
  const stops = (Array.isArray(body.stop) ? body.stop : typeof body.stop === 'string' ? [body.stop] : []) as string[];
  const stopTokenIds = new Set((flavor === 'vllm' || flavor === 'sglang' ? (body.stop_token_ids as number[] | undefined) ?? [] : []) as number[]);
  const eos = new Set(tokenizer.eosTokenIds);
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 16;
  const continuation = model({
    promptIds,
    promptText: tokenizer.decode(promptIds, { skipSpecialTokens: false }),
    seed: body.seed as number | undefined,
    temperature: body.temperature as number | undefined,
  });
  const ids: number[] = [];
  const pieces: string[] = [];
  let text = '';
  const end = (finishReason: 'stop' | 'length', stopReason: string | number | null, stopText: string, matchedEos?: number): Generation => ({
    ids,
    pieces,
    text,
    finishReason,
    stopReason,
    stopText,
    matchedEos,
  });
  for (const id of continuation) {
    if (ids.length >= maxTokens) return end('length', null, '');
    ids.push(id);
    const piece = skipSpecial && eos.has(id) ? '' : tokenizer.decode([id], { skipSpecialTokens: false });
    const before = text.length;
    text += piece;
    pieces.push(piece);
    if (eos.has(id) || stopTokenIds.has(id)) return end('stop', eos.has(id) ? null : id, piece, id);
    // The earliest stop string in the new text (a stop cannot start before the previous end minus its length).
    let match: { stop: string; at: number } | undefined;
    for (const stop of stops) {
      const at = text.indexOf(stop, Math.max(0, before - stop.length + 1));
      if (at !== -1 && (match === undefined || at < match.at)) match = { stop, at };
    }
    if (match !== undefined) {
      text = text.slice(0, match.at + match.stop.length);
      pieces[pieces.length - 1] = text.slice(before);
      return end('stop', match.stop, match.stop);
    }
  }
  return end(ids.length >= maxTokens || continuation.length === 0 ? 'length' : 'stop', null, '');
}

function logprobOf(position: number): number {
  return -0.25 * ((position % 4) + 1);
}

/**
 * The text the server shows: vLLM keeps the stop (string or token text) only with
 * `include_stop_str_in_output`; SGLang keeps it only with a honoured `no_stop_trim`; llama.cpp and
 * OpenAI strip a stop string (and never show special tokens).
 */
function visibleText(generation: Generation, body: Record<string, unknown>, options: FakeServerOptions): string {
  if (generation.stopText === '') return generation.text;
  const keeps =
    options.flavor === 'vllm'
      ? body.include_stop_str_in_output === true
      : options.flavor === 'sglang'
        ? body.no_stop_trim === true && (options.honoursNoStopTrim ?? true)
        : false;
  return keeps ? generation.text : generation.text.slice(0, generation.text.length - generation.stopText.length);
}

/** The choice fields for `ids[from..to)` (the whole generation, or one stream chunk). */
function choiceFields(
  generation: Generation,
  from: number,
  to: number,
  body: Record<string, unknown>,
  options: FakeServerOptions,
  last: boolean,
): Record<string, unknown> {
  const { flavor, tokenizer } = options;
  const ids = generation.ids.slice(from, to);
  const shown = visibleText(generation, body, options);
  const start = generation.pieces.slice(0, from).join('').length;
  const end = last ? shown.length : start + generation.pieces.slice(from, to).join('').length;
  const choice: Record<string, unknown> = { index: 0, text: shown.slice(Math.min(start, shown.length), Math.min(end, shown.length)) };
  const supportsIds = options.supportsReturnTokenIds ?? true;
  if (body.logprobs !== undefined && body.logprobs !== null) {
    const asIds = flavor === 'vllm' && body.return_tokens_as_token_ids === true;
    const tokens = ids.map((id) => (asIds ? `token_id:${id}` : tokenizer.decode([id], { skipSpecialTokens: false })));
    const logprobs = ids.map((_, offset) => logprobOf(from + offset));
    let offset = start;
    choice.logprobs = {
      tokens,
      token_logprobs: logprobs,
      top_logprobs: tokens.map((token, position) => ({ [token]: logprobs[position]! })),
      text_offset: tokens.map((token) => {
        const at = offset;
        offset += token.length;
        return at;
      }),
    };
  } else {
    choice.logprobs = null;
  }
  choice.finish_reason = last ? generation.finishReason : null;
  if (flavor === 'vllm') {
    choice.stop_reason = last ? generation.stopReason : null;
    if (body.return_token_ids === true && supportsIds) choice.token_ids = ids;
    choice.prompt_logprobs = null;
  } else if (flavor === 'sglang') {
    choice.matched_stop = last ? (typeof generation.stopReason === 'string' ? generation.stopReason : (generation.matchedEos ?? null)) : null;
    if (body.return_token_ids === true && supportsIds) choice.token_ids = ids;
  }
  return choice;
}

export async function startFakeCompletionsServer(options: FakeServerOptions): Promise<FakeCompletionsServer> {
  const model = options.model ?? scriptedModel(options.tokenizer);
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const waiters: Array<(request: RecordedRequest) => void> = [];
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  let counter = 0;
  const loraAdapters = new Map<string, string>();
  const weights: { path: string | undefined; version: string | undefined } = { path: undefined, version: undefined };
  const timeline: TimelineEntry[] = [];

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      response.on('close', () => {
        inFlight -= 1;
        hanging.delete(response);
      });
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { unparsed: raw };
      }
      const recorded: RecordedRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body };
      requests.push(recorded);
      waiters.splice(0).forEach((wake) => wake(recorded));
      if (recorded.path !== '/v1/completions' && recorded.method === 'POST') {
        setTimeout(() => answerControl(recorded, response), options.controlDelayMs ?? 5);
        return;
      }
      // Let a slow fake model overlap other requests, so concurrency is observable.
      setTimeout(() => answer(recorded, response), options.answerDelayMs ?? 5);
    });
  });

  const sendJson = (response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(value));
  };

  const sendText = (response: ServerResponse, text: string) => {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(text);
  };
  // vLLM's error body (newer servers): {"error": {message, type, param, code}}.
  const vllmError = (response: ServerResponse, status: number, type: string, message: string, param: string | null = null) =>
    sendJson(response, status, { error: { message, type, param, code: status } });
  const authorized = (recorded: RecordedRequest, response: ServerResponse): boolean => {
    if (options.apiKey === undefined || recorded.headers.authorization === `Bearer ${options.apiKey}`) return true;
    sendJson(response, 401, { object: 'error', message: 'invalid API key', type: 'Unauthorized', param: null, code: 401 });
    return false;
  };

  // The weight-sync routes, in the shapes of vLLM's runtime LoRA endpoints and SGLang's update_weights_from_disk.
  const answerControl = (recorded: RecordedRequest, response: ServerResponse) => {
    if (!authorized(recorded, response)) return;
    const { body, path } = recorded;
    const fault = faults.shift();
    if (fault?.kind === 'status') {
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(fault.body ?? JSON.stringify({ detail: `scripted failure ${fault.status}` }));
      return;
    }
    if (fault?.kind === 'destroy') {
      response.socket?.destroy();
      return;
    }
    const vllmLora = options.flavor === 'vllm' && (options.allowRuntimeLoraUpdating ?? true);
    if (vllmLora && path === '/v1/load_lora_adapter') {
      const name = body.lora_name;
      const adapterPath = body.lora_path;
      if (typeof name !== 'string' || typeof adapterPath !== 'string' || name === '' || adapterPath === '') {
        vllmError(response, 400, 'InvalidUserInput', "Both 'lora_name' and 'lora_path' must be provided.");
      } else if (loraAdapters.has(name) && body.load_inplace !== true) {
        vllmError(response, 400, 'InvalidUserInput', `The lora adapter '${name}' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.`);
      } else if (!(options.adapterExists?.(adapterPath) ?? true)) {
        vllmError(response, 404, 'NotFoundError', `Loading lora ${name} failed: No adapter found for ${adapterPath}`);
      } else {
        loraAdapters.set(name, adapterPath);
        timeline.push({ kind: 'load', name });
        sendText(response, `Success: LoRA adapter '${name}' added successfully.`);
      }
      return;
    }
    if (vllmLora && path === '/v1/unload_lora_adapter') {
      const name = body.lora_name;
      if (typeof name !== 'string' || name === '') {
        vllmError(response, 400, 'InvalidUserInput', "'lora_name' needs to be provided to unload a LoRA adapter.");
      } else if (!loraAdapters.has(name)) {
        vllmError(response, 404, 'NotFoundError', `The lora adapter '${name}' cannot be found.`);
      } else {
        loraAdapters.delete(name);
        timeline.push({ kind: 'unload', name });
        sendText(response, `Success: LoRA adapter '${name}' removed successfully.`);
      }
      return;
    }
    if (options.flavor === 'sglang' && path === '/update_weights_from_disk') {
      const modelPath = body.model_path;
      if (typeof modelPath !== 'string') {
        // SGLang turns a request validation error into a 400 with its OpenAI-style error object.
        sendJson(response, 400, { object: 'error', message: 'model_path: Field required', type: 'Bad Request', param: null, code: 400 });
        return;
      }
      if (!(options.weightsExist?.(modelPath) ?? true)) {
        sendJson(response, 400, { success: false, message: `Failed to get weights iterator: no model files under ${modelPath}.`, num_paused_requests: 0 });
        return;
      }
      weights.path = modelPath;
      weights.version = typeof body.weight_version === 'string' ? body.weight_version : weights.version;
      timeline.push({ kind: 'update-weights', path: modelPath });
      sendJson(response, 200, { success: true, message: 'Succeeded to update model weights.', num_paused_requests: 0 });
      return;
    }
    sendJson(response, 404, { detail: 'Not Found' });
  };

  const answer = (recorded: RecordedRequest, response: ServerResponse) => {
    const { body } = recorded;
    if (!authorized(recorded, response)) return;
    if (recorded.method !== 'POST' || recorded.path !== '/v1/completions') {
      sendJson(response, 404, { detail: 'Not Found' });
      return;
    }
    const requestedModel = String(body.model);
    if (options.flavor === 'vllm' && options.servedModelName !== undefined && requestedModel !== options.servedModelName && !loraAdapters.has(requestedModel)) {
      vllmError(response, 404, 'NotFoundError', `The model \`${requestedModel}\` does not exist.`, 'model');
      return;
    }
    timeline.push({ kind: 'completion-start', model: requestedModel });
    response.on('close', () => timeline.push({ kind: 'completion-end', model: requestedModel }));
    const fault = options.faultFor?.(body) ?? faults.shift();
    if (fault?.kind === 'status') {
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(fault.body ?? JSON.stringify({ object: 'error', message: `scripted failure ${fault.status}`, type: 'Error', param: null, code: fault.status }));
      return;
    }
    if (fault?.kind === 'hang') {
      hanging.add(response);
      return;
    }
    if (fault?.kind === 'destroy') {
      response.socket?.destroy();
      return;
    }
    if (fault?.kind === 'malformed-json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"cmpl-1","choices":[{"text":"tru');
      return;
    }
    if (fault?.kind === 'no-choices') {
      sendJson(response, 200, { id: 'cmpl-x', object: 'text_completion', choices: [] });
      return;
    }
    if (typeof body.max_tokens === 'number' && body.max_tokens < 1) {
      sendJson(response, 400, { object: 'error', message: `max_tokens must be at least 1, got ${body.max_tokens}.`, type: 'BadRequestError', param: null, code: 400 });
      return;
    }
    let promptIds: number[];
    if (Array.isArray(body.prompt) && body.prompt.every((id) => Number.isInteger(id))) {
      if (options.flavor === 'generic') {
        sendJson(response, 400, { error: { message: 'this fake OpenAI server takes text prompts only', type: 'invalid_request_error', code: null } });
        return;
      }
      promptIds = body.prompt as number[];
    } else if (typeof body.prompt === 'string') {
      promptIds = options.tokenizer.encode(body.prompt);
    } else {
      sendJson(response, 400, { object: 'error', message: 'prompt must be a list of token ids or a string', type: 'BadRequestError', param: null, code: 400 });
      return;
    }
    const generation = generate(body, promptIds, options, model);
    if (fault?.kind === 'finish') generation.finishReason = fault.finishReason as 'stop';
    counter += 1;
    const id = `cmpl-fake-${counter}`;
    const usage = { prompt_tokens: promptIds.length, total_tokens: promptIds.length + generation.ids.length, completion_tokens: generation.ids.length };
    if (body.stream !== true) {
      sendJson(response, 200, {
        id,
        object: 'text_completion',
        created: 1_700_000_000,
        model: String(body.model),
        choices: [choiceFields(generation, 0, generation.ids.length, body, options, true)],
        usage,
      });
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (fault?.kind === 'stream-error-first') {
      response.end(`data: ${fault.body}\n\ndata: [DONE]\n\n`);
      return;
    }
    const count = generation.ids.length;
    for (let position = 0; position < Math.max(count, 1); position += 1) {
      const last = position >= count - 1;
      const chunk = {
        id,
        object: 'text_completion',
        created: 1_700_000_000,
        model: String(body.model),
        choices: [choiceFields(generation, position, Math.min(position + 1, count), body, options, last)],
      };
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (position === 0 && fault?.kind === 'stream-error-after-first-token') {
        response.end(`data: ${JSON.stringify({ error: { message: 'engine died', type: 'InternalServerError', param: null, code: 500 } })}\n\ndata: [DONE]\n\n`);
        return;
      }
      if (position === 0 && fault?.kind === 'stream-cut-after-first-token') {
        // Let the first chunk reach the client before the connection drops.
        setTimeout(() => response.socket?.destroy(), 50);
        return;
      }
    }
    response.end('data: [DONE]\n\n');
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    faults,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    loraAdapters,
    weights,
    timeline,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
