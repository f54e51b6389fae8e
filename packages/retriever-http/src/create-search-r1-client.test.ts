import { ApiCallError } from '@research-ts/spec';
import { MockRetriever, runRetrieverConformance } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { closedPortURL } from './__fixtures__/http-test-support';
import { createRetrieverServer, type ListeningRetrieverServer } from './create-retriever-server';
import { createSearchR1Client } from './create-search-r1-client';

let conformanceServer: ListeningRetrieverServer | undefined;
runRetrieverConformance({
  name: 'createSearchR1Client -> createRetrieverServer -> MockRetriever',
  createRetriever: async (passages) => {
    conformanceServer = await createRetrieverServer(new MockRetriever(passages), { apis: ['search-r1'] }).listen();
    return createSearchR1Client({ baseURL: conformanceServer.url });
  },
  disposeRetriever: () => conformanceServer?.close(),
  supportsScores: true,
});

function scriptedFetch(body: string, status = 200) {
  const calls: { url: string; body: string | undefined }[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(input), body: init.body as string | undefined });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

describe('createSearchR1Client', () => {
  it('sends /retrieve with topk and return_scores true, and reads {document, score} items', async () => {
    const { fetch, calls } = scriptedFetch(
      String.raw`{"result":[[{"document":{"id":"0","contents":"\"Evan Morris\"\nEvan L. Morris was a lobbyist."},"score":0.83}],[]]}`,
    );
    const client = createSearchR1Client({ baseURL: 'http://127.0.0.1:8000', fetch });
    const results = await client.search(['who was evan morris', '', 'unknown'], 3);
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:8000/retrieve',
        body: '{"queries":["who was evan morris","unknown"],"topk":3,"return_scores":true}',
      },
    ]);
    expect(results).toEqual([
      [{ id: '0', contents: '"Evan Morris"\nEvan L. Morris was a lobbyist.', score: 0.83 }],
      [],
      [],
    ]);
    expect(client.name).toBe('http:search-r1:http://127.0.0.1:8000/');
  });

  it('maps BM25 documents ({title, text}, no id or contents) to "Title"\\ntext with a content-derived id', async () => {
    const { fetch } = scriptedFetch(
      '{"result":[[{"document":{"title":"Evan Morris","text":"Evan L. Morris was a lobbyist."},"score":12.5},' +
        '{"document":{"id":42,"title":"Other","text":"other text","contents":"\\"Other\\"\\nother text"},"score":3}]]}',
    );
    const [passages] = await createSearchR1Client({ baseURL: 'http://x', fetch }).search(['evan'], 3);
    expect(passages).toEqual([
      // sha256('"Evan Morris"\nEvan L. Morris was a lobbyist.') begins with these 16 hex digits (checked with coreutils sha256sum).
      { id: 'sha256:ff85e9620e391490', contents: '"Evan Morris"\nEvan L. Morris was a lobbyist.', score: 12.5 },
      { id: '42', contents: '"Other"\nother text', score: 3 },
    ]);
  });

  it.each([
    ['a missing result', '{"results":[]}', 'response field "result": is required'],
    [
      'bare documents (return_scores ignored)',
      '{"result":[[{"id":"1","contents":"x"}]]}',
      'response field "result.0.0.document": is required',
    ],
    [
      'a document with neither contents nor text',
      '{"result":[[{"document":{"id":"1","title":"T"},"score":1}]]}',
      'response field "result.0.0.document.contents": is required (a document needs "contents", or "title" and "text")',
    ],
    [
      'a string score',
      '{"result":[[{"document":{"id":"1","contents":"x"},"score":"0.5"}]]}',
      'response field "result.0.0.score": expected a number or null, got string "0.5"',
    ],
    ['too many lists', '{"result":[[],[]]}', '2 result lists for 1 queries'],
  ])('refuses %s', async (_name, body, problem) => {
    const { fetch } = scriptedFetch(body);
    const error = await createSearchR1Client({ baseURL: 'http://x', fetch })
      .search(['q'], 3)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as Error).message).toBe(`malformed response from http://x/retrieve: ${problem}`);
  });

  it('retries a failing server and then succeeds', async () => {
    const mock = new MockRetriever([{ id: 'a', contents: '"A"\nalpha' }], { failTimes: 1 });
    const running = await createRetrieverServer(mock).listen();
    try {
      const results = await createSearchR1Client({ baseURL: running.url, retryDelayMs: 1 }).search(['alpha'], 2);
      expect(results).toEqual([[{ id: 'a', contents: '"A"\nalpha', score: 1 }]]);
      expect(mock.calls.map((call) => call.failed)).toEqual([true, false]);
    } finally {
      await running.close();
    }
  });

  it('says the server could not be reached when nothing listens', async () => {
    const baseURL = await closedPortURL();
    await expect(createSearchR1Client({ baseURL, maxRetries: 0 }).search(['q'], 3)).rejects.toThrow(
      `could not reach ${baseURL}/retrieve: connection refused`,
    );
  });
});
