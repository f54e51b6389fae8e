import { InvalidConfigError, InvalidInputError, type GenerateRequest } from '@research-ts/spec';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  answerTurn,
  searchTurn,
  startFakeCompletionsServer,
  type FakeCompletionsServer,
  type FakeServerOptions,
} from './__fixtures__/fake-completions-server';
import { createTestTokenizer, encodeCharacterByCharacter } from './__fixtures__/test-tokenizer';
import { createOpenAICompletionsPolicy, type OpenAICompletionsPolicyOptions } from './create-openai-completions-policy';

const tokenizer = createTestTokenizer();
const servers: FakeCompletionsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: Partial<FakeServerOptions> = {}): Promise<FakeCompletionsServer> {
  const server = await startFakeCompletionsServer({ flavor: 'vllm', tokenizer, ...options });
  servers.push(server);
  return server;
}

function policyFor(server: FakeCompletionsServer, options: Partial<OpenAICompletionsPolicyOptions> = {}) {
  return createOpenAICompletionsPolicy({ baseURL: server.baseURL, model: 'qwen-fake', maxRetries: 0, ...options });
}

const question = 'Question: what is the capital of France?\nAssistant: ';
const promptIds = tokenizer.encode(question);
const searchRequest: GenerateRequest = {
  inputIds: promptIds,
  maxNewTokens: 200,
  stopStrings: ['</search>'],
  sampling: { temperature: 0 },
};
const resultBlock = ' <result>\nParis is the capital of France.\n</result>';
const answerRequest: GenerateRequest = {
  inputIds: [...promptIds, ...tokenizer.encode(searchTurn + resultBlock)],
  maxNewTokens: 200,
  stopStrings: ['</search>'],
  sampling: { temperature: 0 },
};

describe('createOpenAICompletionsPolicy against a vLLM-shaped server', () => {
  it('sends the token ids and the vLLM extensions, and keeps the stop string and its ids', async () => {
    const server = await serve();
    const policy = policyFor(server);
    expect(policy.name).toBe('openai-completions:vllm:qwen-fake');
    expect(policy.specificationVersion).toBe('v1');
    const [result] = await policy.generate([searchRequest]);
    expect(result).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.path).toBe('/v1/completions');
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(server.requests[0]!.body).toEqual({
      model: 'qwen-fake',
      prompt: promptIds,
      max_tokens: 200,
      temperature: 0,
      stop: ['</search>'],
      logprobs: 0,
      return_tokens_as_token_ids: true,
      return_token_ids: true,
      include_stop_str_in_output: true,
      skip_special_tokens: false,
    });
  });

  it('runs the second ReSearch turn to EOS, keeping <|im_end|> in the ids and the text', async () => {
    const server = await serve();
    const [result] = await policyFor(server).generate([answerRequest]);
    expect(result).toEqual({ outputIds: tokenizer.encode(answerTurn), text: answerTurn, finishReason: 'eos' });
    expect(result!.outputIds.at(-1)).toBe(2);
  });

  it('reads ids from token_id:N logprob tokens on a vLLM without return_token_ids, with no tokenizer at all', async () => {
    const server = await serve({ supportsReturnTokenIds: false });
    const [result] = await policyFor(server).generate([searchRequest]);
    expect(result!.outputIds).toEqual(tokenizer.encode(searchTurn));
    expect(result!.text).toBe(searchTurn);
  });

  it('keeps the ids the model emitted, even where re-encoding the text would merge them', async () => {
    const server = await serve({ model: () => encodeCharacterByCharacter(tokenizer, '<search> x </search> tail') });
    const [result] = await policyFor(server, { tokenizer }).generate([searchRequest]);
    expect(result!.outputIds).toEqual(encodeCharacterByCharacter(tokenizer, '<search> x </search>'));
    expect(result!.outputIds).not.toEqual(tokenizer.encode(result!.text));
  });

  it('reports logprobs when asked, one per output id', async () => {
    const server = await serve();
    const [result] = await policyFor(server, { logprobs: true }).generate([{ inputIds: promptIds, maxNewTokens: 6 }]);
    expect(server.requests[0]!.body.logprobs).toBe(1);
    expect(result!.finishReason).toBe('length');
    expect(result!.outputIds).toEqual(tokenizer.encode(searchTurn).slice(0, 6));
    expect(result!.logprobs).toEqual([-0.25, -0.5, -0.75, -1, -0.25, -0.5]);
  });

  it('stops at a stop token id (an EOS finish) and keeps that token', async () => {
    const server = await serve();
    const searchOpen = tokenizer.tokenToId('<search>')!;
    const [result] = await policyFor(server).generate([
      { inputIds: promptIds, maxNewTokens: 200, stopTokenIds: [searchOpen] },
    ]);
    expect(server.requests[0]!.body.stop_token_ids).toEqual([searchOpen]);
    const expectedText = searchTurn.slice(0, searchTurn.indexOf('<search>') + '<search>'.length);
    expect(result).toEqual({ outputIds: tokenizer.encode(expectedText), text: expectedText, finishReason: 'eos' });
  });

  it('passes sampling settings through, and the same seed gives the same sample', async () => {
    const server = await serve();
    const policy = policyFor(server);
    const sampled = (seed: number): GenerateRequest => ({
      inputIds: promptIds,
      maxNewTokens: 50,
      sampling: { temperature: 1, topP: 0.95, topK: 40, seed },
    });
    const [first, again, other] = await policy.generate([sampled(7), sampled(7), sampled(8)]);
    expect(first).toEqual(again);
    expect(first!.text).not.toBe(other!.text);
    expect(server.requests[0]!.body).toMatchObject({ temperature: 1, top_p: 0.95, top_k: 40, seed: 7 });
  });

  it('answers a batch in request order with at most `concurrency` requests in flight', async () => {
    const server = await serve({ answerDelayMs: 40 });
    const requests = [searchRequest, answerRequest, searchRequest, answerRequest, searchRequest];
    const results = await policyFor(server, { concurrency: 2 }).generate(requests);
    expect(results.map((result) => result.finishReason)).toEqual([
      'stop-string',
      'eos',
      'stop-string',
      'eos',
      'stop-string',
    ]);
    expect(server.requests).toHaveLength(5);
    expect(server.maxInFlight).toBe(2);
  });

  it('runs 20 requests at once without a MaxListenersExceededWarning (no abort listeners pile up on one signal)', async () => {
    const server = await serve({ answerDelayMs: 20 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const requests = Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? searchRequest : answerRequest));
      const caller = new AbortController();
      // all 20 in flight at once, then 20 again with most of them waiting for one of 4 slots
      expect(await policyFor(server).generate(requests, { signal: caller.signal })).toHaveLength(20);
      expect(await policyFor(server, { concurrency: 4 }).generate(requests, { signal: caller.signal })).toHaveLength(
        20,
      );
      expect(await policyFor(server, { concurrency: 4 }).generate(requests)).toHaveLength(20);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
  });

  it('bounds concurrency across generate calls of one policy', async () => {
    const server = await serve({ answerDelayMs: 40 });
    const policy = policyFor(server, { concurrency: 1 });
    await Promise.all([policy.generate([searchRequest, searchRequest]), policy.generate([answerRequest])]);
    expect(server.maxInFlight).toBe(1);
  });

  it('answers maxNewTokens 0 without a request', async () => {
    const server = await serve();
    expect(await policyFor(server).generate([{ inputIds: promptIds, maxNewTokens: 0 }])).toEqual([
      { outputIds: [], text: '', finishReason: 'length' },
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it('an empty batch gives an empty result', async () => {
    const server = await serve();
    expect(await policyFor(server).generate([])).toEqual([]);
  });

  it('sends the API key, extra headers and extraBody fields', async () => {
    const server = await serve({ apiKey: 'secret' });
    await policyFor(server, {
      apiKey: 'secret',
      headers: { 'x-team': 'research' },
      extraBody: { repetition_penalty: 1.05 },
    }).generate([searchRequest]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer secret');
    expect(server.requests[0]!.headers['x-team']).toBe('research');
    expect(server.requests[0]!.body.repetition_penalty).toBe(1.05);
  });

  it('refuses a malformed request before any request leaves', async () => {
    const server = await serve();
    const call = policyFor(server).generate([searchRequest, { inputIds: [], maxNewTokens: 3 }]);
    await expect(call).rejects.toThrow(InvalidInputError);
    await expect(call).rejects.toThrow('field "requests[1].inputIds": must be a non-empty array of token ids');
    expect(server.requests).toHaveLength(0);
  });
});

describe('createOpenAICompletionsPolicy against servers that strip the stop string', () => {
  it('SGLang with no_stop_trim honoured: ids and text as sent', async () => {
    const server = await serve({ flavor: 'sglang' });
    const [result] = await policyFor(server, { server: 'sglang' }).generate([searchRequest]);
    expect(result).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
    expect(server.requests[0]!.body).toEqual({
      model: 'qwen-fake',
      prompt: promptIds,
      max_tokens: 200,
      temperature: 0,
      stop: ['</search>'],
      return_token_ids: true,
      no_stop_trim: true,
      skip_special_tokens: false,
    });
  });

  it('an older SGLang that strips "</search>" and returns no ids: appended back, ids re-encoded by the tokenizer', async () => {
    const server = await serve({ flavor: 'sglang', honoursNoStopTrim: false, supportsReturnTokenIds: false });
    const [search, answer] = await policyFor(server, { server: 'sglang', tokenizer }).generate([
      searchRequest,
      answerRequest,
    ]);
    expect(search).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
    // SGLang reports EOS as matched_stop = the EOS id; the ids end with it.
    expect(answer).toEqual({ outputIds: tokenizer.encode(answerTurn), text: answerTurn, finishReason: 'eos' });
  });

  it('SGLang that strips the text but returns the ids: ids as sent, text restored', async () => {
    const server = await serve({ flavor: 'sglang', honoursNoStopTrim: false });
    const [result] = await policyFor(server, { server: 'sglang' }).generate([searchRequest]);
    expect(result).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
  });

  it('an SGLang without ids and without a tokenizer fails clearly', async () => {
    const server = await serve({ flavor: 'sglang', supportsReturnTokenIds: false });
    await expect(policyFor(server, { server: 'sglang' }).generate([searchRequest])).rejects.toThrow(
      `token ids is not available: the sglang server at ${server.baseURL}/completions returned no token ids (no choices[].token_ids, no "token_id:N" logprob tokens); pass a tokenizer to re-encode the text`,
    );
  });

  it('a generic server that passes a stop detail through (SGLang behind a proxy): text prompt, stop string restored, EOS appended', async () => {
    const server = await serve({ flavor: 'sglang', supportsReturnTokenIds: false });
    const policy = policyFor(server, { server: 'generic', tokenizer });
    const [search, answer] = await policy.generate([searchRequest, answerRequest]);
    expect(server.requests.map((request) => request.body.prompt).sort()).toEqual(
      [question, question + searchTurn + resultBlock].sort(),
    );
    expect(server.requests[0]!.body).not.toHaveProperty('top_k');
    expect(server.requests[0]!.body).not.toHaveProperty('no_stop_trim');
    expect(search).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
    expect(answer).toEqual({ outputIds: tokenizer.encode(answerTurn), text: answerTurn, finishReason: 'eos' });
  });

  it('an OpenAI-style server without any stop detail: EOS is exact, a stripped stop string reads as EOS (documented limit)', async () => {
    const server = await serve({ flavor: 'generic' });
    const policy = policyFor(server, { server: 'generic', tokenizer });
    const [answer, search] = await policy.generate([answerRequest, searchRequest]);
    expect(answer).toEqual({ outputIds: tokenizer.encode(answerTurn), text: answerTurn, finishReason: 'eos' });
    const stripped = searchTurn.slice(0, -'</search>'.length);
    expect(search).toEqual({
      outputIds: [...tokenizer.encode(stripped), 2],
      text: `${stripped}<|im_end|>`,
      finishReason: 'eos',
    });
  });

  it('a vLLM reached as generic (no extensions sent): its stop_reason is still read and the stripped stop string restored', async () => {
    const server = await serve({ flavor: 'vllm', supportsReturnTokenIds: false });
    const [search] = await policyFor(server, { server: 'generic', tokenizer }).generate([searchRequest]);
    expect(server.requests[0]!.body).not.toHaveProperty('include_stop_str_in_output');
    expect(search).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
  });

  it('llama.cpp: token-id prompt and return_tokens sent; EOS exact, stop string indistinguishable from EOS', async () => {
    const server = await serve({ flavor: 'llama.cpp' });
    const [answer, search] = await policyFor(server, { server: 'llama.cpp', tokenizer }).generate([
      answerRequest,
      searchRequest,
    ]);
    expect(server.requests.map((request) => request.body.return_tokens)).toEqual([true, true]);
    expect(server.requests.map((request) => request.body.prompt)).toContainEqual(promptIds);
    expect(answer).toEqual({ outputIds: tokenizer.encode(answerTurn), text: answerTurn, finishReason: 'eos' });
    expect(search!.finishReason).toBe('eos');
  });
});

describe('createOpenAICompletionsPolicy options', () => {
  const base = { baseURL: 'http://127.0.0.1:8000/v1', model: 'm' };
  const invalid: Array<[Partial<OpenAICompletionsPolicyOptions>, string]> = [
    [
      { baseURL: 'localhost:8000' },
      'config field "baseURL": must be an http(s) URL such as http://127.0.0.1:8000/v1, got "localhost:8000"',
    ],
    [{ baseURL: 'ftp://host/v1' }, 'config field "baseURL": must be an http(s) URL'],
    [{ model: '' }, 'config field "model": must be a non-empty string (the served model name)'],
    [{ server: 'tgi' as never }, 'config field "server": must be one of vllm, sglang, llama.cpp, generic, got "tgi"'],
    [
      { server: 'generic' },
      'config field "tokenizer": is required for the generic server: it returns no token ids, so the text must be re-encoded',
    ],
    [{ server: 'llama.cpp' }, 'config field "tokenizer": is required for the llama.cpp server'],
    [{ concurrency: 0 }, 'config field "concurrency": must be an integer >= 1, got 0'],
    [{ maxRetries: -1 }, 'config field "maxRetries": must be an integer >= 0, got -1'],
    [{ timeoutMs: 0 }, 'config field "timeoutMs": must be a finite number > 0 of milliseconds, got 0'],
    [
      { initialBackoffMs: Number.NaN },
      'config field "initialBackoffMs": must be a finite number >= 0 of milliseconds, got NaN',
    ],
  ];
  for (const [change, message] of invalid) {
    it(`refuses ${JSON.stringify(change)}`, () => {
      const create = () => createOpenAICompletionsPolicy({ ...base, ...change });
      expect(create).toThrow(InvalidConfigError);
      expect(create).toThrow(message);
    });
  }

  it('accepts a base URL with a trailing slash and defaults to vLLM', async () => {
    const server = await serve();
    const policy = createOpenAICompletionsPolicy({ baseURL: `${server.baseURL}/`, model: 'qwen-fake' });
    expect(policy.name).toBe('openai-completions:vllm:qwen-fake');
    await policy.generate([searchRequest]);
    expect(server.requests[0]!.path).toBe('/v1/completions');
  });
});

describe('createOpenAICompletionsPolicy streaming (onText over server-sent events)', () => {
  it('streams vLLM deltas that concatenate to the same result as without streaming', async () => {
    const server = await serve();
    const policy = policyFor(server, { logprobs: true });
    const deltas: Array<[number, string]> = [];
    const [streamed] = await policy.generate([searchRequest], {
      onText: (index, delta) => deltas.push([index, delta]),
    });
    const [plain] = await policy.generate([searchRequest]);
    expect(streamed).toEqual(plain);
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.every(([index]) => index === 0)).toBe(true);
    expect(deltas.map(([, delta]) => delta).join('')).toBe(searchTurn);
    expect(server.requests[0]!.body.stream).toBe(true);
    expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    expect(server.requests[1]!.body).not.toHaveProperty('stream');
  });

  it('routes the deltas of a batch by request index', async () => {
    const server = await serve();
    const streamed = ['', ''];
    const results = await policyFor(server).generate([searchRequest, answerRequest], {
      onText: (index, delta) => {
        streamed[index] += delta;
      },
    });
    expect(streamed).toEqual([searchTurn, answerTurn]);
    expect(results.map((result) => result.text)).toEqual([searchTurn, answerTurn]);
  });

  it('passes the whole text once when a server ignores stream: true and answers plain JSON', async () => {
    const server = await serve();
    // A fetch that drops `stream` on the way, as a server without streaming support would ignore it.
    const dropStream: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      delete body.stream;
      return globalThis.fetch(input, { ...init, body: JSON.stringify(body) });
    };
    const deltas: string[] = [];
    const [result] = await policyFor(server, { fetch: dropStream }).generate([searchRequest], {
      onText: (_, delta) => deltas.push(delta),
    });
    expect(deltas).toEqual([searchTurn]);
    expect(result!.text).toBe(searchTurn);
  });

  it('streams the stop string a stripping SGLang left out as a last delta', async () => {
    const server = await serve({ flavor: 'sglang', honoursNoStopTrim: false, supportsReturnTokenIds: false });
    const deltas: string[] = [];
    const [result] = await policyFor(server, { server: 'sglang', tokenizer }).generate([searchRequest], {
      onText: (_, delta) => deltas.push(delta),
    });
    expect(deltas.at(-1)).toBe('</search>');
    expect(deltas.join('')).toBe(searchTurn);
    expect(result).toEqual({
      outputIds: tokenizer.encode(searchTurn),
      text: searchTurn,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
  });

  it('retries an error event that arrives before any text', async () => {
    const server = await serve();
    server.faults.push({
      kind: 'stream-error-first',
      body: JSON.stringify({
        object: 'error',
        message: 'engine overloaded',
        type: 'ServiceUnavailable',
        param: null,
        code: 503,
      }),
    });
    const retries: string[] = [];
    const deltas: string[] = [];
    const [result] = await policyFor(server, {
      maxRetries: 2,
      initialBackoffMs: 1,
      onRetry: (event) => retries.push(event.error.message),
    }).generate([searchRequest], {
      onText: (_, delta) => deltas.push(delta),
    });
    expect(result!.text).toBe(searchTurn);
    expect(deltas.join('')).toBe(searchTurn);
    expect(retries).toEqual([`error in the stream from ${server.baseURL}/completions: engine overloaded`]);
  });

  it('does not retry a stream that fails after text was passed to onText (an error event, or a cut connection)', async () => {
    const url = (server: FakeCompletionsServer) => `${server.baseURL}/completions`;
    const errored = await serve();
    errored.faults.push({ kind: 'stream-error-after-first-token' });
    const call = policyFor(errored, { maxRetries: 3, initialBackoffMs: 1 }).generate([searchRequest], {
      onText: () => {},
    });
    await expect(call).rejects.toThrow(
      `the stream from ${url(errored)} failed after text was passed to onText, so it is not retried: error in the stream from ${url(errored)}: engine died`,
    );
    expect(errored.requests).toHaveLength(1);

    const cut = await serve();
    cut.faults.push({ kind: 'stream-cut-after-first-token' });
    const error = await policyFor(cut, { maxRetries: 3, initialBackoffMs: 1 })
      .generate([searchRequest], { onText: () => {} })
      .catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(
      `the stream from ${url(cut)} failed after text was passed to onText, so it is not retried: `,
    );
    expect(cut.requests).toHaveLength(1);
  });
});

describe('createOpenAICompletionsPolicy batches that fail', () => {
  it('rejects with the first fatal error and cancels the requests still running', async () => {
    const hangPrompt = tokenizer.encode('hang');
    const failPrompt = tokenizer.encode('fail');
    const server = await serve({
      faultFor: (body) => {
        const prompt = JSON.stringify(body.prompt);
        if (prompt === JSON.stringify(hangPrompt)) return { kind: 'hang' };
        if (prompt === JSON.stringify(failPrompt)) return { kind: 'status', status: 400 };
        return undefined;
      },
    });
    const call = policyFor(server, { timeoutMs: 30_000 }).generate([
      { inputIds: hangPrompt, maxNewTokens: 5 },
      { inputIds: failPrompt, maxNewTokens: 5 },
      { inputIds: promptIds, maxNewTokens: 5 },
    ]);
    await expect(call).rejects.toThrow(`HTTP 400 from ${server.baseURL}/completions: scripted failure 400`);
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
  });

  it('rejects with the caller’s reason when the caller aborts a batch', async () => {
    const server = await serve();
    server.faults.push({ kind: 'hang' }, { kind: 'hang' });
    const controller = new AbortController();
    const call = policyFor(server, { timeoutMs: 30_000 }).generate([searchRequest, answerRequest], {
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    controller.abort(new Error('shutting down'));
    await expect(call).rejects.toThrow('shutting down');
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
  });
});
