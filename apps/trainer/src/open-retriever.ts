import { resolve } from 'node:path';
import type { World } from '@research-ts/datasets';
import { createFlexsearchRetriever, loadFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { createFlashRagClient } from '@research-ts/retriever-http';
import { InvalidConfigError, type Retriever } from '@research-ts/spec';

/** Where searches go: a generated world indexed in memory, a saved flexsearch index, or an HTTP server. */
export type RetrieverSource = { kind: 'world'; world: World } | { kind: 'flexsearch'; indexDirectory: string } | { kind: 'http'; url: string };

/** Opens a retriever. A `--retriever` CLI value is `http(s)://…` for a server and a folder path for a flexsearch index. */
export async function openRetriever(source: RetrieverSource): Promise<Retriever> {
  if (source.kind === 'world') return createFlexsearchRetriever(source.world.passages);
  if (source.kind === 'flexsearch') return loadFlexsearchRetriever(source.indexDirectory);
  return createFlashRagClient({ baseURL: source.url });
}

/** The source a CLI `--retriever` value names: a URL is an HTTP server, anything else an index folder (made absolute). */
export function retrieverSourceOf(value: string): RetrieverSource {
  if (/^https?:\/\//i.test(value)) return { kind: 'http', url: value };
  if (value.trim() === '') throw new InvalidConfigError('retriever', 'is empty');
  return { kind: 'flexsearch', indexDirectory: resolve(value) };
}
