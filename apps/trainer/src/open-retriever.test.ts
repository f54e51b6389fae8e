import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import {
  createRetrieverServer,
  type ListeningRetrieverServer,
  type RetrieverServerApi,
} from '@research-ts/retriever-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRetriever, retrieverSourceOf } from './open-retriever';

const passages = [
  { id: 'paris', contents: '"Paris"\nParis is the capital of France.' },
  { id: 'berlin', contents: '"Berlin"\nBerlin is the capital of Germany.' },
  { id: 'rome', contents: '"Rome"\nRome is the capital of Italy.' },
  { id: 'madrid', contents: '"Madrid"\nMadrid is the capital of Spain.' },
];
const local = createFlexsearchRetriever(passages);
const servers = new Map<RetrieverServerApi, ListeningRetrieverServer>();

beforeAll(async () => {
  // one server per API, each serving only its own endpoint, on 127.0.0.1
  for (const api of ['flashrag', 'search-r1'] as const)
    servers.set(api, await createRetrieverServer(local, { host: '127.0.0.1', port: 0, apis: [api] }).listen());
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.close()));
});

describe('openRetriever over HTTP', () => {
  it.each(['flashrag', 'search-r1'] as const)(
    'speaks the %s API: the top-k passages of each query with their scores',
    async (api) => {
      const retriever = await openRetriever(retrieverSourceOf(servers.get(api)!.url, api));
      expect(retriever.name).toBe(`http:${api}:${servers.get(api)!.url}/`);
      const queries = ['capital of France', 'Italy capital', 'Spain'];
      for (const k of [1, 3]) {
        const remote = await retriever.search(queries, k);
        expect(remote).toEqual(await local.search(queries, k));
        expect(
          remote.every((list) => list.length <= k && list.every((passage) => typeof passage.score === 'number')),
        ).toBe(true);
      }
      // k = 0 asks nothing (Search-R1 would read topk 0 as its default of 3)
      expect(await retriever.search(['capital'], 0)).toEqual([[]]);
    },
  );

  it('a server that speaks the other API fails, naming the endpoint it called', async () => {
    const searchR1Only = servers.get('search-r1')!.url;
    const flashRag = await openRetriever({ kind: 'http', url: searchR1Only });
    await expect(flashRag.search(['capital'], 1)).rejects.toThrow(`${searchR1Only}/batch_search`);
  });
});

describe('retrieverSourceOf', () => {
  it('reads a URL as a server of the given API (FlashRAG unless told) and anything else as an index folder', () => {
    expect(retrieverSourceOf('http://127.0.0.1:8000')).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:8000',
      api: 'flashrag',
    });
    expect(retrieverSourceOf('https://search.example/v1', 'search-r1')).toEqual({
      kind: 'http',
      url: 'https://search.example/v1',
      api: 'search-r1',
    });
    expect(retrieverSourceOf('/data/index')).toEqual({ kind: 'index', indexDirectory: '/data/index' });
  });

  it('refuses a URL that names the endpoint itself, saying which base URL and API to give', () => {
    expect(() => retrieverSourceOf('http://127.0.0.1:8000/retrieve')).toThrow(
      'config field "retriever": http://127.0.0.1:8000/retrieve names the /retrieve endpoint: give the server\'s base URL, http://127.0.0.1:8000, and the "search-r1" API',
    );
    expect(() => retrieverSourceOf('http://host/proxy/batch_search/', 'flashrag')).toThrow(
      'give the server\'s base URL, http://host/proxy, and the "flashrag" API',
    );
  });
});
