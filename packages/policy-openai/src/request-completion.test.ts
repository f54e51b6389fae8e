import { ApiCallError, TimeoutError, type GenerateResult } from '@research-ts/spec';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  searchTurn,
  startFakeCompletionsServer,
  type FakeCompletionsServer,
  type Fault,
} from './__fixtures__/fake-completions-server';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { buildCompletionRequestBody } from './build-completion-request-body';
import { choiceToResult } from './completion-choice';
import { requestCompletion, type CompletionTransport, type RetryEvent } from './request-completion';

const tokenizer = createTestTokenizer();
const servers: FakeCompletionsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const request = {
  inputIds: tokenizer.encode('Question: capital of France?\n'),
  maxNewTokens: 200,
  stopStrings: ['</search>'],
  sampling: { temperature: 0 },
};

async function setup(faults: Fault[] = [], transportChanges: Partial<CompletionTransport> = {}) {
  const server = await startFakeCompletionsServer({ flavor: 'vllm', tokenizer, answerDelayMs: 0 });
  servers.push(server);
  server.faults.push(...faults);
  const retries: RetryEvent[] = [];
  const url = `${server.baseURL}/completions`;
  const transport: CompletionTransport = {
    url,
    headers: {},
    fetch: globalThis.fetch,
    maxRetries: 3,
    timeoutMs: 10_000,
    initialBackoffMs: 2,
    maxBackoffMs: 50,
    maxRetryAfterMs: 60_000,
    random: () => 0,
    onRetry: (event) => retries.push(event),
    ...transportChanges,
  };
  const body = buildCompletionRequestBody(request, {
    server: 'vllm',
    model: 'fake',
    tokenizer,
    logprobs: false,
    stream: false,
    index: 0,
  });
  const call = (signal: AbortSignal = new AbortController().signal): Promise<GenerateResult> =>
    requestCompletion(transport, body, {
      index: 0,
      signal,
      finish: (choice) =>
        choiceToResult(choice, { server: 'vllm', url, stopStrings: request.stopStrings, tokenizer, logprobs: false })
          .result,
    });
  return { server, url, retries, call };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

const expected: GenerateResult = {
  outputIds: tokenizer.encode(searchTurn),
  text: searchTurn,
  finishReason: 'stop-string',
  stopString: '</search>',
};

describe('requestCompletion', () => {
  it('fails at once on 400 with the status and the server message, without retrying', async () => {
    const { server, url, retries, call } = await setup([
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          object: 'error',
          message: 'max_tokens must be at least 1, got 0.',
          type: 'BadRequestError',
          param: null,
          code: 400,
        }),
      },
    ]);
    const error = await failure(call());
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.message).toBe(`HTTP 400 from ${url}: max_tokens must be at least 1, got 0.`);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false, url });
    expect((error as ApiCallError).responseBody).toContain('"type":"BadRequestError"');
    expect(server.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  for (const status of [401, 403, 404, 413, 422]) {
    it(`does not retry HTTP ${status}`, async () => {
      const { server, call } = await setup([{ kind: 'status', status }]);
      const error = await failure(call());
      expect(error).toMatchObject({ statusCode: status, isRetryable: false });
      expect(error.message).toContain(`scripted failure ${status}`);
      expect(server.requests).toHaveLength(1);
    });
  }

  it('retries 429 after the Retry-After the server asks for', async () => {
    const { server, retries, call } = await setup([{ kind: 'status', status: 429, headers: { 'retry-after': '0' } }]);
    expect(await call()).toEqual(expected);
    expect(server.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ index: 0, attempt: 1, delayMs: 0 });
    expect(retries[0]!.error).toMatchObject({ statusCode: 429 });
  });

  it('honours retry-after-ms and caps a long Retry-After at maxRetryAfterMs', async () => {
    const { retries, call } = await setup(
      [
        { kind: 'status', status: 429, headers: { 'retry-after-ms': '7' } },
        { kind: 'status', status: 503, headers: { 'retry-after': '3600' } },
      ],
      { maxRetryAfterMs: 15 },
    );
    expect(await call()).toEqual(expected);
    expect(retries.map((event) => event.delayMs)).toEqual([7, 15]);
  });

  it('retries 408 and 5xx with exponential backoff and jitter, then succeeds', async () => {
    const { server, retries, call } = await setup([
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 408 },
    ]);
    expect(await call()).toEqual(expected);
    expect(server.requests).toHaveLength(4);
    // random() = 0 gives half the ceiling: 2·2^n·0.5.
    expect(retries.map((event) => [event.attempt, event.delayMs, (event.error as ApiCallError).statusCode])).toEqual([
      [1, 1, 500],
      [2, 2, 502],
      [3, 4, 408],
    ]);
  });

  it('gives up after maxRetries + 1 attempts with the last error', async () => {
    const { server, url, call } = await setup(
      Array.from({ length: 4 }, (): Fault => ({ kind: 'status', status: 500 })),
    );
    const error = await failure(call());
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.message).toBe(`HTTP 500 from ${url}: scripted failure 500 (gave up after 4 attempts)`);
    expect(error).toMatchObject({ statusCode: 500, isRetryable: true });
    expect(server.requests).toHaveLength(4);
  });

  it('times out a hanging response, retries, and reports TimeoutError when every attempt hangs', async () => {
    const { server, url, retries, call } = await setup([{ kind: 'hang' }, { kind: 'hang' }], {
      maxRetries: 1,
      timeoutMs: 150,
    });
    const error = await failure(call());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe(`completion request to ${url} (gave up after 2 attempts) timed out after 150 ms`);
    expect((error as TimeoutError).timeoutMs).toBe(150);
    expect(retries[0]!.error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it('succeeds on the retry after one hanging attempt', async () => {
    const { server, call } = await setup([{ kind: 'hang' }], { timeoutMs: 150 });
    expect(await call()).toEqual(expected);
    expect(server.requests).toHaveLength(2);
  });

  it('retries malformed JSON, and names it when it persists', async () => {
    const once = await setup([{ kind: 'malformed-json' }]);
    expect(await once.call()).toEqual(expected);
    const always = await setup([{ kind: 'malformed-json' }, { kind: 'malformed-json' }], { maxRetries: 1 });
    const error = await failure(always.call());
    expect(error.message).toBe(
      `malformed JSON from ${always.url}: {"id":"cmpl-1","choices":[{"text":"tru (gave up after 2 attempts)`,
    );
  });

  it('retries a connection the server closes without answering', async () => {
    const { retries, url, call } = await setup([{ kind: 'destroy' }]);
    expect(await call()).toEqual(expected);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error.message.startsWith(`network error calling ${url}: `)).toBe(true);
  });

  it('reports a refused connection as a network ApiCallError after its retries', async () => {
    const { server, url, call } = await setup([], { maxRetries: 1 });
    await server.close();
    const error = await failure(call());
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.message).toMatch(
      new RegExp(`^network error calling ${url.replaceAll('.', '\\.')}: .* \\(gave up after 2 attempts\\)$`),
    );
    expect((error as ApiCallError).statusCode).toBeUndefined();
  });

  it('fails at once on a 200 without choices', async () => {
    const { server, url, call } = await setup([{ kind: 'no-choices' }]);
    const error = await failure(call());
    expect(error.message).toBe(
      `unexpected completion from ${url}: no choices: {"id":"cmpl-x","object":"text_completion","choices":[]}`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries a generation the server aborted, but not a content_filter finish', async () => {
    const aborted = await setup([{ kind: 'finish', finishReason: 'abort' }]);
    expect(await aborted.call()).toEqual(expected);
    expect(aborted.server.requests).toHaveLength(2);
    const filtered = await setup([{ kind: 'finish', finishReason: 'content_filter' }]);
    expect((await failure(filtered.call())).message).toBe(
      `the server at ${filtered.url} ended the generation with finish_reason "content_filter"`,
    );
    expect(filtered.server.requests).toHaveLength(1);
  });

  it('rejects with the caller’s reason as soon as the signal aborts, closing the hanging request', async () => {
    const { server, call } = await setup([{ kind: 'hang' }], { timeoutMs: 30_000 });
    const controller = new AbortController();
    const pending = call(controller.signal);
    await server.nextRequest();
    controller.abort(new Error('caller stopped the rollout'));
    await expect(pending).rejects.toThrow('caller stopped the rollout');
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
    expect(server.requests).toHaveLength(1);
  });

  it('rejects during a backoff wait when the signal aborts', async () => {
    const { server, call } = await setup([{ kind: 'status', status: 429, headers: { 'retry-after': '600' } }]);
    const controller = new AbortController();
    const pending = call(controller.signal);
    await server.nextRequest();
    await vi.waitFor(() => expect(server.inFlight).toBe(0));
    controller.abort(new Error('stop waiting'));
    await expect(pending).rejects.toThrow('stop waiting');
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { server, call } = await setup();
    await expect(call(AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(server.requests).toHaveLength(0);
  });
});
