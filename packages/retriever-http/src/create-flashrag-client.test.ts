import { ApiCallError, InvalidConfigError, InvalidInputError, TimeoutError } from '@research-ts/spec';
import { MockRetriever, runRetrieverConformance } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { closedPortURL, HeldRetriever } from './__fixtures__/http-test-support';
import { createFlashRagClient } from './create-flashrag-client';
import { createRetrieverServer, type ListeningRetrieverServer } from './create-retriever-server';

let conformanceServer: ListeningRetrieverServer | undefined;
runRetrieverConformance({
  name: 'createFlashRagClient -> createRetrieverServer -> MockRetriever',
  createRetriever: async (passages) => {
    conformanceServer = await createRetrieverServer(new MockRetriever(passages)).listen();
    return createFlashRagClient({ baseURL: conformanceServer.url });
  },
  disposeRetriever: () => conformanceServer?.close(),
  supportsScores: true,
});

interface RecordedCall {
  url: string;
  method: string | undefined;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A fetch that answers from a list (the last answer repeats) and records each request. */
function scriptedFetch(...answers: (() => Response)[]) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({
      url: String(input),
      method: init.method,
      headers: init.headers as Record<string, string>,
      body: init.body as string | undefined,
    });
    return answers[Math.min(calls.length - 1, answers.length - 1)]!();
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const jsonAnswer =
  (body: string, status = 200, headers: Record<string, string> = {}) =>
  () =>
    new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });

describe('createFlashRagClient requests', () => {
  it('sends one /batch_search with return_score true for the non-empty queries and puts [] for the rest', async () => {
    const { fetch, calls } = scriptedFetch(
      jsonAnswer(String.raw`[[[{"id":"7","contents":"\"Seven\"\nseven"}],[]],[[0.75],[]]]`),
    );
    const client = createFlashRagClient({ baseURL: 'http://retriever.test:8000', fetch });
    const results = await client.search(['who is seven', '', '  ', 'nothing'], 5);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://retriever.test:8000/batch_search');
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.headers).toEqual({ accept: 'application/json', 'content-type': 'application/json' });
    expect(calls[0]!.body).toBe('{"query":["who is seven","nothing"],"top_n":5,"return_score":true}');
    expect(results).toEqual([[{ id: '7', contents: '"Seven"\nseven', score: 0.75 }], [], [], []]);
  });

  it('asks nothing for k = 0, no queries, or only empty queries', async () => {
    const { fetch, calls } = scriptedFetch(jsonAnswer('[]'));
    const client = createFlashRagClient({ baseURL: 'http://retriever.test', fetch });
    expect(await client.search(['a', 'b'], 0)).toEqual([[], []]);
    expect(await client.search([], 3)).toEqual([]);
    expect(await client.search(['', ' '], 3)).toEqual([[], []]);
    expect(calls).toHaveLength(0);
  });

  it('keeps a path prefix of baseURL and sends extra headers', async () => {
    const { fetch, calls } = scriptedFetch(jsonAnswer('[[[]],[[]]]'));
    await createFlashRagClient({
      baseURL: 'http://proxy.test/retriever',
      fetch,
      headers: { authorization: 'Bearer t' },
    }).search(['q'], 1);
    expect(calls[0]!.url).toBe('http://proxy.test/retriever/batch_search');
    expect(calls[0]!.headers.authorization).toBe('Bearer t');
  });

  it('reads /health', async () => {
    const { fetch, calls } = scriptedFetch(jsonAnswer('{"status":"healthy","retrievers":{"total":4,"available":3}}'));
    const health = await createFlashRagClient({ baseURL: 'http://retriever.test/', fetch }).health();
    expect(health).toEqual({ status: 'healthy', retrievers: { total: 4, available: 3 } });
    expect(calls[0]).toMatchObject({ url: 'http://retriever.test/health', method: 'GET', body: undefined });
  });

  it('names itself after the server', () => {
    expect(createFlashRagClient({ baseURL: 'http://127.0.0.1:8000' }).name).toBe(
      'http:flashrag:http://127.0.0.1:8000/',
    );
  });

  it.each([
    [{ baseURL: 'ftp://x' }, 'config field "baseURL": expected an http:// or https:// URL'],
    [{ baseURL: 'not a url' }, 'config field "baseURL": expected an http:// or https:// URL'],
    [{ baseURL: 'http://x', maxRetries: -1 }, 'config field "maxRetries": '],
    [{ baseURL: 'http://x', timeoutMs: 0 }, 'config field "timeoutMs": '],
    [{ baseURL: 'http://x', backoffFactor: 0.5 }, 'config field "backoffFactor": '],
    [{ baseURL: 'http://x', fetch: 'no' }, 'config field "fetch": expected a fetch function'],
  ])('refuses options %j', (options, message) => {
    const attempt = () => createFlashRagClient(options as never);
    expect(attempt).toThrow(InvalidConfigError);
    expect(attempt).toThrow(message);
  });

  it.each([[-1], [1.5], [Number.NaN]])('refuses k = %s', async (k) => {
    const client = createFlashRagClient({ baseURL: 'http://x', fetch: scriptedFetch(jsonAnswer('[]')).fetch });
    await expect(client.search(['q'], k)).rejects.toThrow(InvalidInputError);
    await expect(client.search(['q'], k)).rejects.toThrow(`field "k": expected an integer ≥ 0, got ${k}`);
  });
});

describe('createFlashRagClient response validation', () => {
  const url = 'http://retriever.test/batch_search';
  it.each([
    [
      'a list without scores',
      '[[{"id":"1","contents":"x"}]]',
      'response: expected [documents per query, scores per query] (the return_score shape), got an array of 1',
    ],
    [
      'the no-score shape',
      '[[{"id":"1","contents":"x"}],[{"id":"2","contents":"y"}]]',
      'response field "0.0": expected an array of documents, got an object',
    ],
    [
      'an object',
      '{"result":[]}',
      'response: expected [documents per query, scores per query] (the return_score shape), got an object',
    ],
    [
      'a document without contents',
      '[[[{"id":"1"}]],[[0.5]]]',
      'response field "0.0.0.contents": is required (a document needs "contents", or "title" and "text")',
    ],
    [
      'a numeric contents',
      '[[[{"id":"1","contents":5}]],[[0.5]]]',
      'response field "0.0.0.contents": expected a string, got number 5',
    ],
    [
      'a string score',
      '[[[{"id":"1","contents":"x"}]],[["high"]]]',
      'response field "1.0.0": expected a number or null, got string "high"',
    ],
    [
      'a boolean id',
      '[[[{"id":true,"contents":"x"}]],[[1]]]',
      'response field "0.0.0.id": expected a string or number, got boolean true',
    ],
    ['too few lists', '[[],[]]', '0 document lists and 0 score lists for 1 queries'],
    ['scores of another length', '[[[{"id":"1","contents":"x"}]],[[1,2]]]', 'query 0 has 1 documents but 2 scores'],
  ])('refuses %s', async (_name, body, problem) => {
    const { fetch, calls } = scriptedFetch(jsonAnswer(body));
    const error = await createFlashRagClient({ baseURL: 'http://retriever.test', fetch })
      .search(['q'], 3)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as ApiCallError).message).toBe(`malformed response from ${url}: ${problem}`);
    expect(error).toMatchObject({ url, statusCode: 200, responseBody: body, isRetryable: false });
    expect(calls).toHaveLength(1);
  });

  it('refuses a 200 body that is not JSON, without retrying', async () => {
    const { fetch, calls } = scriptedFetch(() => new Response('<html>proxy login</html>', { status: 200 }));
    await expect(
      createFlashRagClient({ baseURL: 'http://retriever.test', fetch, retryDelayMs: 0 }).search(['q'], 1),
    ).rejects.toThrow(`POST ${url} answered HTTP 200 with a body that is not JSON: <html>proxy login</html>`);
    expect(calls).toHaveLength(1);
  });

  it('accepts a null score (no score) and numeric ids, and cuts lists longer than k', async () => {
    const { fetch } = scriptedFetch(
      jsonAnswer('[[[{"id":3,"contents":"a"},{"id":"4","contents":"b"},{"id":"5","contents":"c"}]],[[null,0.5,0.25]]]'),
    );
    expect(await createFlashRagClient({ baseURL: 'http://retriever.test', fetch }).search(['q'], 2)).toEqual([
      [
        { id: '3', contents: 'a' },
        { id: '4', contents: 'b', score: 0.5 },
      ],
    ]);
  });
});

describe('createFlashRagClient retries and failures', () => {
  it('retries a 500 from the server and then succeeds', async () => {
    const mock = new MockRetriever([{ id: 'a', contents: '"A"\nalpha' }], { failTimes: 2 });
    const running = await createRetrieverServer(mock).listen();
    try {
      const client = createFlashRagClient({ baseURL: running.url, retryDelayMs: 1 });
      expect(await client.search(['alpha'], 3)).toEqual([[{ id: 'a', contents: '"A"\nalpha', score: 1 }]]);
      expect(mock.calls.map((call) => call.failed)).toEqual([true, true, false]);
    } finally {
      await running.close();
    }
  });

  it('gives up after maxRetries with the last HTTP error', async () => {
    const mock = new MockRetriever([{ id: 'a', contents: 'alpha' }], { failTimes: 10 });
    const running = await createRetrieverServer(mock).listen();
    try {
      const error = await createFlashRagClient({ baseURL: running.url, maxRetries: 2, retryDelayMs: 1 })
        .search(['alpha'], 3)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ApiCallError);
      expect((error as Error).message).toBe(
        `POST ${running.url}/batch_search failed with HTTP 500: retriever "mock" failed: mock retriever failure on call 2 (attempt 3 of 3)`,
      );
      expect(error).toMatchObject({ statusCode: 500, isRetryable: true });
      expect(mock.calls).toHaveLength(3);
    } finally {
      await running.close();
    }
  });

  it('does not retry a 4xx', async () => {
    const mock = new MockRetriever([{ id: 'a', contents: 'alpha' }]);
    const running = await createRetrieverServer(mock, { maxTopK: 5 }).listen();
    try {
      const error = await createFlashRagClient({ baseURL: running.url, retryDelayMs: 1 })
        .search(['alpha'], 10)
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toBe(
        `POST ${running.url}/batch_search failed with HTTP 422: field "top_n": must be at most 5, got 10 (attempt 1 of 6)`,
      );
      expect(error).toMatchObject({ statusCode: 422, isRetryable: false });
      expect(mock.calls).toHaveLength(0);
    } finally {
      await running.close();
    }
  });

  it('waits as Retry-After says on a 429 rather than its own (long) backoff', async () => {
    const { fetch, calls } = scriptedFetch(
      jsonAnswer('{"detail":"slow down"}', 429, { 'retry-after': '0' }),
      jsonAnswer('[[[{"id":"1","contents":"x"}]],[[1]]]'),
    );
    const client = createFlashRagClient({ baseURL: 'http://retriever.test', fetch, retryDelayMs: 600_000 });
    expect(await client.search(['q'], 1)).toEqual([[{ id: '1', contents: 'x', score: 1 }]]);
    expect(calls).toHaveLength(2);
  });

  it('says the server could not be reached when nothing listens', async () => {
    const baseURL = await closedPortURL();
    const error = await createFlashRagClient({ baseURL, maxRetries: 2, retryDelayMs: 1 })
      .search(['q'], 5)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as Error).message).toBe(
      `could not reach ${baseURL}/batch_search: connection refused (attempt 3 of 3)`,
    );
    expect(error).toMatchObject({ url: `${baseURL}/batch_search`, statusCode: undefined, isRetryable: true });
  });

  it('times out each attempt and reports a TimeoutError after the last', async () => {
    // The retriever never answers until released, so every attempt runs into the client's deadline.
    const held = new HeldRetriever();
    const running = await createRetrieverServer(held).listen();
    let attempts = 0;
    const countingFetch = ((input: string | URL | Request, init?: RequestInit) => {
      attempts += 1;
      return fetch(input, init);
    }) as typeof globalThis.fetch;
    try {
      const error = await createFlashRagClient({
        baseURL: running.url,
        timeoutMs: 50,
        maxRetries: 1,
        retryDelayMs: 0,
        fetch: countingFetch,
      })
        .search(['alpha'], 1)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe(`POST ${running.url}/batch_search (attempt 2 of 2) timed out after 50 ms`);
      expect(error).toMatchObject({ timeoutMs: 50 });
      expect(attempts).toBe(2);
      held.release();
      expect(await createFlashRagClient({ baseURL: running.url }).health()).toMatchObject({ status: 'healthy' });
    } finally {
      held.release();
      await running.close();
    }
  });

  it("rejects with the caller's abort reason at once and does not retry", async () => {
    const mock = new MockRetriever([{ id: 'a', contents: 'alpha' }], { delayMs: 5_000 });
    const running = await createRetrieverServer(mock).listen();
    try {
      const controller = new AbortController();
      const pending = createFlashRagClient({ baseURL: running.url }).search(['alpha'], 1, {
        signal: controller.signal,
      });
      while (mock.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const reason = new Error('user cancelled');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(mock.calls).toHaveLength(1);
    } finally {
      await running.close();
    }
  });
});
