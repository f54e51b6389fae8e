import { Agent, type ClientRequest, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Passage, Retriever } from '@research-ts/spec';
import { InvalidConfigError, ResearchError } from '@research-ts/spec';
import { MockRetriever } from '@research-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeldRetriever, postJson, rawRequest } from './__fixtures__/http-test-support';
import { createRetrieverServer, type ListeningRetrieverServer } from './create-retriever-server';

// MockRetriever scores a passage by the number of distinct query terms in it, ties by id ascending:
// "aurora oval" -> d3 (2), d1 (1); "volcano" -> d2 (1); "aurora" -> d1 (1), d3 (1).
const corpus: Passage[] = [
  { id: 'd1', contents: '"Aurora"\nThe aurora glows green.' },
  { id: 'd2', contents: '"Volcano"\nA volcano erupts.' },
  { id: 'd3', contents: '"Aurora oval"\nThe aurora oval rings the pole.' },
];
const d1 = String.raw`{"id":"d1","contents":"\"Aurora\"\nThe aurora glows green."}`;
const d2 = String.raw`{"id":"d2","contents":"\"Volcano\"\nA volcano erupts."}`;
const d3 = String.raw`{"id":"d3","contents":"\"Aurora oval\"\nThe aurora oval rings the pole."}`;

// Twelve passages that all match "lamp" with score 1, so the default k decides how many come back.
const lamps: Passage[] = Array.from({ length: 12 }, (_, index) => {
  const number = String(index + 1).padStart(2, '0');
  return { id: `p${number}`, contents: `"Lamp ${number}"\nlamp ${number}` };
});

let retriever: MockRetriever;
let server: ListeningRetrieverServer;

beforeAll(async () => {
  retriever = new MockRetriever(corpus);
  server = await createRetrieverServer(retriever, { maxQueriesPerRequest: 3, maxBodyBytes: 2048 }).listen();
});
afterAll(() => server.close());

describe('FlashRAG POST /search', () => {
  it.each([
    [{ query: 'aurora oval' }, `[${d3},${d1}]`],
    [{ query: 'aurora oval', return_score: false }, `[${d3},${d1}]`],
    [{ query: 'aurora oval', return_score: true }, `[[${d3},${d1}],[2,1]]`],
    [{ query: 'aurora oval', top_n: 1 }, `[${d3}]`],
    [{ query: 'aurora', top_n: 5, return_score: true }, `[[${d1},${d3}],[1,1]]`],
    [{ query: 'glacier' }, '[]'],
    [{ query: 'glacier', return_score: true }, '[[],[]]'],
    [{ query: 'volcano', unknown_field: 1 }, `[${d2}]`],
  ])('%j -> %s', async (body, expected) => {
    const response = await postJson(server.url, '/search', body);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.text).toBe(expected);
  });
});

describe('FlashRAG POST /batch_search', () => {
  it.each([
    [{ query: ['aurora oval', 'volcano', 'glacier'] }, `[[${d3},${d1}],[${d2}],[]]`],
    [
      { query: ['aurora oval', 'volcano', 'glacier'], return_score: true },
      `[[[${d3},${d1}],[${d2}],[]],[[2,1],[1],[]]]`,
    ],
    [{ query: ['aurora oval', 'aurora'], top_n: 1, return_score: true }, `[[[${d3}],[${d1}]],[[2],[1]]]`],
    [{ query: ['', 'volcano'] }, `[[],[${d2}]]`],
    [{ query: [] }, '[]'],
    [{ query: [], return_score: true }, '[[],[]]'],
  ])('%j -> %s', async (body, expected) => {
    const response = await postJson(server.url, '/batch_search', body);
    expect(response.status).toBe(200);
    expect(response.text).toBe(expected);
  });

  it('passes the whole batch to the retriever in one call with top_n as k', async () => {
    const before = retriever.calls.length;
    await postJson(server.url, '/batch_search', { query: ['aurora', 'volcano'], top_n: 4 });
    expect(retriever.calls.slice(before)).toEqual([{ queries: ['aurora', 'volcano'], k: 4, failed: false }]);
  });
});

describe('Search-R1 POST /retrieve', () => {
  it.each([
    [{ queries: ['aurora oval', 'volcano'] }, `{"result":[[${d3},${d1}],[${d2}]]}`],
    [{ queries: ['aurora oval'], topk: 1, return_scores: false }, `{"result":[[${d3}]]}`],
    [
      { queries: ['aurora oval', 'volcano'], topk: 2, return_scores: true },
      `{"result":[[{"document":${d3},"score":2},{"document":${d1},"score":1}],[{"document":${d2},"score":1}]]}`,
    ],
    [{ queries: ['glacier'], return_scores: true }, '{"result":[[]]}'],
    [{ queries: [] }, '{"result":[]}'],
  ])('%j -> %s', async (body, expected) => {
    const response = await postJson(server.url, '/retrieve', body);
    expect(response.status).toBe(200);
    expect(response.text).toBe(expected);
  });
});

describe('defaults of k', () => {
  let lampRetriever: MockRetriever;
  let lampServer: ListeningRetrieverServer;
  let customServer: ListeningRetrieverServer;
  beforeAll(async () => {
    lampRetriever = new MockRetriever(lamps);
    lampServer = await createRetrieverServer(lampRetriever).listen();
    customServer = await createRetrieverServer(lampRetriever, { defaultTopK: { flashrag: 2, searchR1: 5 } }).listen();
  });
  afterAll(() => Promise.all([lampServer.close(), customServer.close()]));

  const ids = (text: string, pick: (body: unknown) => { id: string }[]) =>
    pick(JSON.parse(text)).map((document) => document.id);
  const firstIds = (count: number) => lamps.slice(0, count).map((passage) => passage.id);

  it('FlashRAG top_n defaults to 10 (QueryRequest.top_n: int = 10)', async () => {
    const search = await postJson(lampServer.url, '/search', { query: 'lamp' });
    expect(ids(search.text, (body) => body as { id: string }[])).toEqual(firstIds(10));
    const batch = await postJson(lampServer.url, '/batch_search', { query: ['lamp'] });
    expect(ids(batch.text, (body) => (body as { id: string }[][])[0]!)).toEqual(firstIds(10));
  });

  it.each([[{}], [{ topk: null }], [{ topk: 0 }]])(
    'Search-R1 topk falls back to 3 for %j (if not request.topk)',
    async (topk) => {
      const response = await postJson(lampServer.url, '/retrieve', { queries: ['lamp'], ...topk });
      expect(ids(response.text, (body) => (body as { result: { id: string }[][] }).result[0]!)).toEqual(firstIds(3));
      expect(lampRetriever.calls.at(-1)!.k).toBe(3);
    },
  );

  it('follows the defaultTopK option', async () => {
    const search = await postJson(customServer.url, '/search', { query: 'lamp' });
    expect(ids(search.text, (body) => body as { id: string }[])).toEqual(firstIds(2));
    const retrieve = await postJson(customServer.url, '/retrieve', { queries: ['lamp'], topk: null });
    expect(ids(retrieve.text, (body) => (body as { result: { id: string }[][] }).result[0]!)).toEqual(firstIds(5));
  });
});

describe('GET /health', () => {
  it('reports total and free retriever slots', async () => {
    const response = await rawRequest(server.url, { method: 'GET', path: '/health' });
    expect(response.status).toBe(200);
    expect(response.text).toBe('{"status":"healthy","retrievers":{"total":8,"available":8}}');
  });
});

describe('refused requests', () => {
  const json = { 'content-type': 'application/json' };
  const cases: {
    name: string;
    request: Parameters<typeof rawRequest>[1];
    status: number;
    detail: string | RegExp;
    field?: string;
  }[] = [
    {
      name: 'unknown route',
      request: { method: 'GET', path: '/nope' },
      status: 404,
      detail:
        'no route for GET /nope; this server serves GET /health, POST /search, POST /batch_search, POST /retrieve',
    },
    {
      name: 'GET on a POST route',
      request: { method: 'GET', path: '/search' },
      status: 405,
      detail: 'method GET is not allowed on /search; use POST',
    },
    {
      name: 'POST on /health',
      request: { path: '/health', headers: json, body: '{}' },
      status: 405,
      detail: 'method POST is not allowed on /health; use GET',
    },
    {
      name: 'a form content type',
      request: { path: '/search', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=x' },
      status: 415,
      detail: 'header "content-type": expected application/json, got "application/x-www-form-urlencoded"',
    },
    {
      name: 'text/plain',
      request: { path: '/retrieve', headers: { 'content-type': 'text/plain' }, body: '{"queries":["x"]}' },
      status: 415,
      detail: 'header "content-type": expected application/json, got "text/plain"',
    },
    {
      name: 'truncated JSON',
      request: { path: '/search', headers: json, body: '{"query": "x"' },
      status: 400,
      detail: /^request body is not valid JSON: /,
    },
    {
      name: 'an empty body',
      request: { path: '/batch_search', headers: json, body: '' },
      status: 400,
      detail: 'request body is empty; expected a JSON object',
    },
    {
      name: 'bytes that are not UTF-8',
      request: { path: '/search', headers: json, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
      status: 400,
      detail: 'request body is not valid UTF-8',
    },
    {
      name: 'a JSON array body',
      request: { path: '/search', headers: json, body: '[1,2]' },
      status: 422,
      detail: 'request body: expected a JSON object, got an array of 2',
    },
    {
      name: 'missing query',
      request: { path: '/search', headers: json, body: '{}' },
      status: 422,
      detail: 'field "query": is required',
      field: 'query',
    },
    {
      name: 'a number query',
      request: { path: '/search', headers: json, body: '{"query":5}' },
      status: 422,
      detail: 'field "query": expected a string, got number 5',
      field: 'query',
    },
    {
      name: 'an empty /search query (FlashRAG: HTTP 400)',
      request: { path: '/search', headers: json, body: '{"query":""}' },
      status: 400,
      detail: 'field "query": query content cannot be empty',
      field: 'query',
    },
    {
      name: 'a whitespace-only /search query',
      request: { path: '/search', headers: json, body: '{"query":" \\t\\n"}' },
      status: 400,
      detail: 'field "query": query content cannot be empty',
      field: 'query',
    },
    {
      name: 'top_n as a string',
      request: { path: '/search', headers: json, body: '{"query":"x","top_n":"5"}' },
      status: 422,
      detail: 'field "top_n": expected an integer, got string "5"',
      field: 'top_n',
    },
    {
      name: 'a fractional top_n',
      request: { path: '/search', headers: json, body: '{"query":"x","top_n":2.5}' },
      status: 422,
      detail: 'field "top_n": expected an integer, got number 2.5',
      field: 'top_n',
    },
    {
      name: 'a negative top_n',
      request: { path: '/batch_search', headers: json, body: '{"query":["x"],"top_n":-1}' },
      status: 422,
      detail: 'field "top_n": must be at least 1, got -1',
      field: 'top_n',
    },
    {
      name: 'top_n 0',
      request: { path: '/search', headers: json, body: '{"query":"x","top_n":0}' },
      status: 422,
      detail: 'field "top_n": must be at least 1, got 0',
      field: 'top_n',
    },
    {
      name: 'a huge top_n',
      request: { path: '/batch_search', headers: json, body: '{"query":["x"],"top_n":1e9}' },
      status: 422,
      detail: 'field "top_n": must be at most 1000, got 1000000000',
      field: 'top_n',
    },
    {
      name: 'a null top_n',
      request: { path: '/search', headers: json, body: '{"query":"x","top_n":null}' },
      status: 422,
      detail: 'field "top_n": expected an integer, got null',
      field: 'top_n',
    },
    {
      name: 'return_score as a string',
      request: { path: '/search', headers: json, body: '{"query":"x","return_score":"yes"}' },
      status: 422,
      detail: 'field "return_score": expected a boolean, got string "yes"',
      field: 'return_score',
    },
    {
      name: 'a string where /batch_search wants a list',
      request: { path: '/batch_search', headers: json, body: '{"query":"x"}' },
      status: 422,
      detail: 'field "query": expected an array of strings, got string "x"',
      field: 'query',
    },
    {
      name: 'a number inside the query list',
      request: { path: '/batch_search', headers: json, body: '{"query":["x",7]}' },
      status: 422,
      detail: 'field "query.1": expected a string, got number 7',
      field: 'query.1',
    },
    {
      name: 'more queries than maxQueriesPerRequest',
      request: { path: '/batch_search', headers: json, body: '{"query":["a","b","c","d"]}' },
      status: 422,
      detail: 'field "query": has 4 queries; this server takes at most 3 per request',
      field: 'query',
    },
    {
      name: 'missing queries',
      request: { path: '/retrieve', headers: json, body: '{"topk":3}' },
      status: 422,
      detail: 'field "queries": is required',
      field: 'queries',
    },
    {
      name: 'a negative topk',
      request: { path: '/retrieve', headers: json, body: '{"queries":["x"],"topk":-2}' },
      status: 422,
      detail: 'field "topk": must be at least 0, got -2',
      field: 'topk',
    },
    {
      name: 'topk as a string',
      request: { path: '/retrieve', headers: json, body: '{"queries":["x"],"topk":"3"}' },
      status: 422,
      detail: 'field "topk": expected an integer, got string "3"',
      field: 'topk',
    },
    {
      name: 'return_scores as a number',
      request: { path: '/retrieve', headers: json, body: '{"queries":["x"],"return_scores":1}' },
      status: 422,
      detail: 'field "return_scores": expected a boolean, got number 1',
      field: 'return_scores',
    },
    {
      name: 'a body over maxBodyBytes (Content-Length, drained)',
      request: { path: '/batch_search', headers: json, body: JSON.stringify({ query: ['x'.repeat(3000)] }) },
      status: 413,
      detail: 'request body of 3014 bytes exceeds the limit of 2048 bytes',
    },
    {
      name: 'a body over maxBodyBytes (chunked)',
      request: {
        path: '/batch_search',
        headers: json,
        chunks: [Buffer.from('{"query":["'), Buffer.alloc(3000, 'x'), Buffer.from('"]}')],
      },
      status: 413,
      detail: 'request body exceeds the limit of 2048 bytes',
    },
    {
      name: 'a body over four times maxBodyBytes (answered at once)',
      request: { path: '/batch_search', headers: json, body: JSON.stringify({ query: ['x'.repeat(9000)] }) },
      status: 413,
      detail: 'request body of 9014 bytes exceeds the limit of 2048 bytes',
    },
  ];

  it.each(cases)('$name -> $status', async ({ request, status, detail, field }) => {
    const response = await rawRequest(server.url, request);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.text) as { detail: string; field?: string };
    if (typeof detail === 'string') expect(body.detail).toBe(detail);
    else expect(body.detail).toMatch(detail);
    expect(body.field).toBe(field);
  });

  it('says which method is allowed on a 405', async () => {
    expect((await rawRequest(server.url, { method: 'DELETE', path: '/retrieve' })).headers.allow).toBe('POST');
    expect((await rawRequest(server.url, { method: 'PUT', path: '/health', body: '' })).headers.allow).toBe('GET');
  });

  it('keeps the connection after a drained 413 and closes it after an undrained one', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const drained = await rawRequest(server.url, { path: '/search', headers: json, body: 'x'.repeat(3000), agent });
      expect(drained.status).toBe(413);
      expect(drained.headers.connection).toBe('keep-alive');
      const cut = await rawRequest(server.url, { path: '/search', headers: json, body: 'x'.repeat(9000), agent });
      expect(cut.status).toBe(413);
      expect(cut.headers.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });

  it('accepts a body without a Content-Type (as FastAPI does) and one with a charset', async () => {
    expect((await rawRequest(server.url, { path: '/search', body: '{"query":"volcano"}' })).text).toBe(`[${d2}]`);
    const withCharset = await rawRequest(server.url, {
      path: '/search',
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      body: '{"query":"volcano"}',
    });
    expect(withCharset.text).toBe(`[${d2}]`);
  });

  it('ignores a query string on the path', async () => {
    expect((await rawRequest(server.url, { method: 'GET', path: '/health?verbose=1' })).status).toBe(200);
  });

  it('serves only the APIs it is told to', async () => {
    const onlySearchR1 = await createRetrieverServer(new MockRetriever(corpus), { apis: ['search-r1'] }).listen();
    try {
      const response = await postJson(onlySearchR1.url, '/batch_search', { query: ['x'] });
      expect(response.status).toBe(404);
      expect(JSON.parse(response.text).detail).toBe(
        'no route for POST /batch_search; this server serves GET /health, POST /retrieve',
      );
      expect((await postJson(onlySearchR1.url, '/retrieve', { queries: ['volcano'] })).text).toBe(
        `{"result":[[${d2}]]}`,
      );
    } finally {
      await onlySearchR1.close();
    }
  });
});

describe('retriever failures', () => {
  it('answers 500 with the retriever message when it throws', async () => {
    const failing = new MockRetriever(corpus, { name: 'flaky', failTimes: 1 });
    const running = await createRetrieverServer(failing).listen();
    try {
      const response = await postJson(running.url, '/retrieve', { queries: ['volcano'] });
      expect(response.status).toBe(500);
      expect(response.text).toBe('{"detail":"retriever \\"flaky\\" failed: mock retriever failure on call 0"}');
      expect((await postJson(running.url, '/retrieve', { queries: ['volcano'] })).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it.each([
    ['too few lists', async () => [[]], 'retriever "broken" returned 1 result lists for 2 queries'],
    ['not an array', async () => ({}), 'retriever "broken" returned something other than an array of result lists'],
    [
      'a list that is not an array',
      async () => [[], 'x'],
      'retriever "broken" returned a non-array result list for query 1',
    ],
    [
      'a passage without contents',
      async () => [[{ id: 'a' }], []],
      'retriever "broken" returned a passage without a string id and contents (query 0, rank 0)',
    ],
  ])('answers 500 when the retriever returns %s', async (_name, search, detail) => {
    const broken = { specificationVersion: 'v1', name: 'broken', search } as unknown as Retriever;
    const running = await createRetrieverServer(broken).listen();
    try {
      const response = await postJson(running.url, '/batch_search', { query: ['a', 'b'] });
      expect(response.status).toBe(500);
      expect(JSON.parse(response.text)).toEqual({ detail });
    } finally {
      await running.close();
    }
  });

  it('cuts a result list that is longer than k, keeps only id and contents, and sends null for a missing score', async () => {
    const loose: Retriever = {
      specificationVersion: 'v1',
      name: 'loose',
      search: async (queries) =>
        queries.map(() => [
          { id: 'a', contents: 'A', title: 'ignored' } as Passage,
          { id: 'b', contents: 'B', score: 0.5 },
          { id: 'c', contents: 'C', score: 0.25 },
        ]),
    };
    const running = await createRetrieverServer(loose).listen();
    try {
      expect((await postJson(running.url, '/search', { query: 'q', top_n: 2, return_score: true })).text).toBe(
        '[[{"id":"a","contents":"A"},{"id":"b","contents":"B"}],[null,0.5]]',
      );
      expect((await postJson(running.url, '/retrieve', { queries: ['q'], topk: 1, return_scores: true })).text).toBe(
        '{"result":[[{"document":{"id":"a","contents":"A"},"score":null}]]}',
      );
    } finally {
      await running.close();
    }
  });
});

describe('concurrency', () => {
  it('queues beyond maxConcurrency, refuses beyond the queue with 503, and reports free slots', async () => {
    const held = new HeldRetriever();
    const running = await createRetrieverServer(held, { maxConcurrency: 1, maxQueuedRequests: 1 }).listen();
    try {
      const first = postJson(running.url, '/search', { query: 'one' });
      await held.calledTimes(1);
      expect((await rawRequest(running.url, { method: 'GET', path: '/health' })).text).toBe(
        '{"status":"healthy","retrievers":{"total":1,"available":0}}',
      );
      const second = postJson(running.url, '/search', { query: 'two' });
      const third = postJson(running.url, '/search', { query: 'three' });
      // Whichever of the two arrives second finds the slot taken and the queue full; the other waits.
      const refused = await Promise.race([second, third]);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.text)).toEqual({
        detail: 'server busy: all 1 retriever slots are in use and the queue of 1 is full; retry later',
      });
      expect(refused.headers['retry-after']).toBe('1');
      held.release();
      expect((await first).status).toBe(200);
      await held.calledTimes(2);
      held.release();
      const statuses = (await Promise.all([second, third])).map((response) => response.status).sort();
      expect(statuses).toEqual([200, 503]);
      expect(held.calls).toHaveLength(2);
      expect((await rawRequest(running.url, { method: 'GET', path: '/health' })).text).toBe(
        '{"status":"healthy","retrievers":{"total":1,"available":1}}',
      );
    } finally {
      await running.close();
    }
  });

  it('aborts the retriever call when the client goes away, and keeps serving', async () => {
    const held = new HeldRetriever();
    const running = await createRetrieverServer(held).listen();
    try {
      let sent: ClientRequest | undefined;
      const abandoned = rawRequest(running.url, {
        path: '/search',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"x"}',
        onRequest: (request) => (sent = request),
      });
      await held.calledTimes(1);
      const signal = held.calls[0]!.signal!;
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      sent!.destroy();
      await expect(abandoned).rejects.toThrow('socket hang up');
      await aborted;
      expect(signal.aborted).toBe(true);
      expect((await rawRequest(running.url, { method: 'GET', path: '/health' })).text).toBe(
        '{"status":"healthy","retrievers":{"total":8,"available":8}}',
      );
    } finally {
      await running.close();
    }
  });
});

describe('requestListener', () => {
  it('mounts in another node:http server (here behind a path check of its own)', async () => {
    const { requestListener } = createRetrieverServer(new MockRetriever(corpus));
    const outer = createServer((request, response) => {
      if (request.headers.authorization !== 'Bearer secret') {
        response.writeHead(401).end();
        return;
      }
      requestListener(request, response);
    });
    await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(outer.address() as AddressInfo).port}`;
    try {
      expect((await postJson(url, '/search', { query: 'volcano' })).status).toBe(401);
      const allowed = await rawRequest(url, {
        path: '/search',
        headers: { 'content-type': 'application/json', authorization: 'Bearer secret' },
        body: '{"query":"volcano"}',
      });
      expect(allowed.text).toBe(`[${d2}]`);
    } finally {
      await new Promise<void>((resolve) => outer.close(() => resolve()));
    }
  });
});

describe('listen and close', () => {
  it('binds 127.0.0.1 on a free port by default', async () => {
    const running = await createRetrieverServer(new MockRetriever(corpus)).listen();
    expect(running.host).toBe('127.0.0.1');
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    await running.close();
  });

  it('refuses to listen twice and reports a port in use', async () => {
    const first = createRetrieverServer(new MockRetriever(corpus));
    const running = await first.listen();
    try {
      await expect(first.listen()).rejects.toThrow('this retriever server is already listening');
      const clash = createRetrieverServer(new MockRetriever(corpus), { port: running.port });
      const error = await clash.listen().catch((caught: unknown) => caught);
      expect(ResearchError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(
        `could not listen on 127.0.0.1:${running.port}: listen EADDRINUSE: address already in use 127.0.0.1:${running.port}`,
      );
    } finally {
      await running.close();
    }
  });

  it('finishes a request in flight before closing, then refuses connections', async () => {
    const held = new HeldRetriever();
    const running = await createRetrieverServer(held).listen();
    // A keep-alive connection left idle by fetch must not hold the close up.
    expect((await fetch(`${running.url}/health`)).status).toBe(200);
    const inFlight = postJson(running.url, '/batch_search', { query: ['x'] });
    await held.calledTimes(1);
    const closed = running.close();
    held.release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(response.text).toBe('[[{"id":"h1","contents":"\\"Held\\"\\nheld passage"}]]');
    await closed;
    await expect(rawRequest(running.url, { method: 'GET', path: '/health' })).rejects.toThrow(/ECONNREFUSED/);
    await running.close();
  }, 8000);

  it.each([
    [{ maxConcurrency: 0 }, 'config field "maxConcurrency": '],
    [{ port: 70_000 }, 'config field "port": '],
    [{ apis: [] }, 'config field "apis": '],
    [{ apis: ['graphql'] }, 'config field "apis.0": '],
    [{ defaultTopK: { flashrag: -1 } }, 'config field "defaultTopK.flashrag": '],
    [{ maxBodyBytes: 1.5 }, 'config field "maxBodyBytes": '],
  ])('refuses options %j', (options, message) => {
    const attempt = () => createRetrieverServer(new MockRetriever(corpus), options as never);
    expect(attempt).toThrow(InvalidConfigError);
    expect(attempt).toThrow(message);
  });
});
