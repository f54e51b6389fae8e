import { resolve } from 'node:path';
import type { World } from '@research-ts/datasets';
import { createFlexsearchRetriever, openSavedRetriever } from '@research-ts/retriever-flexsearch';
import { createFlashRagClient, createSearchR1Client, type RetrieverServerApi } from '@research-ts/retriever-http';
import { InvalidConfigError, type Retriever } from '@research-ts/spec';

/** The HTTP APIs a remote retriever may speak: FlashRAG's `POST /batch_search` (ReSearch) and Search-R1's `POST /retrieve`. */
export const retrieverApis = ['flashrag', 'search-r1'] as const satisfies readonly RetrieverServerApi[];

/**
 * Where searches go: a generated world indexed in memory, a saved flexsearch index, or an HTTP server
 * speaking `api` (default `flashrag`).
 */
export type RetrieverSource =
  | { kind: 'world'; world: World }
  | { kind: 'flexsearch'; indexDirectory: string }
  | { kind: 'http'; url: string; api?: RetrieverServerApi };

/**
 * Opens a retriever. An HTTP server is asked for `k` passages per query, scores included, in its API's
 * terms: FlashRAG `{"query": [...], "top_n": k, "return_score": true}`, Search-R1
 * `{"queries": [...], "topk": k, "return_scores": true}` (a query with k = 0 is answered with no passages
 * without asking, since Search-R1 reads `topk: 0` as its own default).
 *
 * One retry layer per search: the rollout retries every search call (`searchWithRetry`: 5 tries, waits of
 * 1, 2, 4, 8 s), so the HTTP client makes one attempt per call (`maxRetries: 0`). With the client's own
 * retries on top, one search could make up to 5 · 6 = 30 HTTP attempts.
 */
export async function openRetriever(source: RetrieverSource): Promise<Retriever> {
  if (source.kind === 'world') return createFlexsearchRetriever(source.world.passages);
  if (source.kind === 'flexsearch') return openSavedRetriever(source.indexDirectory);
  const options = { baseURL: source.url, maxRetries: 0 };
  return source.api === 'search-r1' ? createSearchR1Client(options) : createFlashRagClient(options);
}

const endpoints = new Map<string, RetrieverServerApi>([
  ['retrieve', 'search-r1'],
  ['batch_search', 'flashrag'],
  ['search', 'flashrag'],
]);

/**
 * Why a retriever URL is not a server's base URL, or undefined when it is: Search-R1's configs name the
 * endpoint itself (`http://127.0.0.1:8000/retrieve`), and the client adds the endpoint to the base URL.
 */
export function retrieverUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  const last = /\/([a-z_]+)\/?$/.exec(parsed.pathname)?.[1];
  const api = last === undefined ? undefined : endpoints.get(last);
  if (api === undefined) return undefined;
  const base = `${parsed.origin}${parsed.pathname.replace(/\/[a-z_]+\/?$/, '')}`;
  return `${url} names the /${last} endpoint: give the server's base URL, ${base}, and the "${api}" API`;
}

/**
 * The source a CLI `--retriever` value names: a URL is an HTTP server speaking `api` (default `flashrag`),
 * anything else an index folder (made absolute).
 */
export function retrieverSourceOf(value: string, api: RetrieverServerApi = 'flashrag'): RetrieverSource {
  if (/^https?:\/\//i.test(value)) {
    const problem = retrieverUrlProblem(value);
    if (problem !== undefined) throw new InvalidConfigError('retriever', problem);
    return { kind: 'http', url: value, api };
  }
  if (value.trim() === '') throw new InvalidConfigError('retriever', 'is empty');
  return { kind: 'flexsearch', indexDirectory: resolve(value) };
}
