import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { World } from '@research-ts/datasets';
import {
  bgeConventions,
  denseIndexFormat,
  e5Conventions,
  loadDenseRetriever,
  loadEmbeddingModel,
  readDenseIndexManifest,
  type DenseRetriever,
  type EmbeddingModel,
  type EmbeddingModelSettings,
} from '@research-ts/retriever-dense';
import { createFlexsearchRetriever, openSavedRetriever } from '@research-ts/retriever-flexsearch';
import { createFlashRagClient, createSearchR1Client, type RetrieverServerApi } from '@research-ts/retriever-http';
import { InvalidConfigError, type Retriever } from '@research-ts/spec';

/** The HTTP APIs a remote retriever may speak: FlashRAG's `POST /batch_search` (ReSearch) and Search-R1's `POST /retrieve`. */
export const retrieverApis = ['flashrag', 'search-r1'] as const satisfies readonly RetrieverServerApi[];

/** The embedding conventions a dense index's model may follow (retriever-dense's E5 and BGE presets). */
export const embeddingConventions = { e5: e5Conventions, bge: bgeConventions } as const;

/**
 * The ONNX embedding model that encodes the queries of a dense index: a directory in the layout of a Hugging Face
 * ONNX export (`model.onnx` or `onnx/model.onnx`, `tokenizer.json`), loaded with the settings its passages were
 * encoded with (they are part of the model's fingerprint, which the index records and checks).
 */
export interface EmbeddingModelSource {
  directory: string;
  /** Default: what the index records (an index built by `research-ts index` records them), else `e5`. */
  conventions?: keyof typeof embeddingConventions;
  /** Longest passage in tokens. Default: what the index records, else 512. */
  maxLength?: number;
  /** Longest query in tokens. Default: what the index records, else `maxLength`. */
  queryMaxLength?: number;
}

/**
 * Where searches go: a generated world indexed in memory, a saved index folder (`index`: lexical, either layout,
 * or dense — told apart by its manifest; a dense one needs `embeddingModel`), or an HTTP server speaking `api`
 * (default `flashrag`).
 */
export type RetrieverSource =
  | { kind: 'world'; world: World }
  | {
      kind: 'index';
      indexDirectory: string;
      embeddingModel?: EmbeddingModelSource;
      /** The config path or CLI option errors about the embedding model name (default `embeddingModel`). */
      field?: string;
    }
  | { kind: 'http'; url: string; api?: RetrieverServerApi };

/** Loads the embedding model a source names, with its conventions and lengths. */
export function loadEmbeddingModelOf(
  source: EmbeddingModelSource,
  saved?: EmbeddingModelSettings,
): Promise<EmbeddingModel> {
  const conventions =
    source.conventions !== undefined ? embeddingConventions[source.conventions] : (saved ?? e5Conventions);
  const maxLength = source.maxLength ?? saved?.maxLength;
  const queryMaxLength = source.queryMaxLength ?? saved?.queryMaxLength;
  return loadEmbeddingModel(source.directory, {
    pooling: conventions.pooling,
    normalize: conventions.normalize,
    queryPrefix: conventions.queryPrefix,
    passagePrefix: conventions.passagePrefix,
    ...(maxLength === undefined ? {} : { maxLength }),
    ...(queryMaxLength === undefined ? {} : { queryMaxLength }),
    ...(saved === undefined ? {} : { outputName: saved.outputName }),
  });
}

/**
 * The `format` a saved index's `manifest.json` names, or `unreadable` when there is no manifest that parses as a JSON
 * object (the opener of the lexical layouts then names the file and what is wrong with it).
 */
async function savedIndexFormat(directory: string): Promise<unknown> {
  try {
    const manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as unknown;
    return typeof manifest === 'object' && manifest !== null ? (manifest as { format?: unknown }).format : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** What may be opened and closed: a retriever with the `dispose` or `close` that frees its files and sessions. */
type ClosableRetriever = Retriever & { dispose?: () => Promise<void>; close?: () => Promise<void> | void };

/** Frees what a retriever holds (a dense index and its embedding model, a compact index's files); others need nothing. */
export async function closeRetriever(retriever: Retriever): Promise<void> {
  const closable = retriever as ClosableRetriever;
  if (typeof closable.dispose === 'function') await closable.dispose();
  else if (typeof closable.close === 'function') await closable.close();
}

/**
 * Opens a saved index folder of any kind by its manifest's `format`: a dense index (retriever-dense; its queries
 * encoded by `embeddingModel`, which is required there and refused elsewhere) or a lexical one (retriever-flexsearch,
 * in-memory or compact layout). A dense index's files are checked against their SHA-256 first; then its HNSW graph is
 * memory-mapped and its vectors and passages are read by offset, not copied onto the heap; `closeRetriever` frees the
 * index and its model. `field` is the config path or CLI option that errors about the embedding model name.
 */
export async function openIndexDirectory(
  directory: string,
  embeddingModel?: EmbeddingModelSource,
  field = 'embeddingModel',
): Promise<Retriever> {
  const manifestPath = join(directory, 'manifest.json');
  const format = await savedIndexFormat(directory);
  if (format !== denseIndexFormat) {
    if (embeddingModel !== undefined && format !== 'unreadable') {
      throw new InvalidConfigError(
        field,
        `applies to a dense index, and ${manifestPath} does not describe one (a lexical index encodes no queries)`,
      );
    }
    return openSavedRetriever(directory);
  }
  if (embeddingModel === undefined) {
    throw new InvalidConfigError(
      field,
      `${directory} is a dense index (${manifestPath} names format "${denseIndexFormat}"): give the embedding model its passages were encoded with`,
    );
  }
  // The index records the settings its model was loaded with; what the source states overrides them.
  const manifest = await readDenseIndexManifest(directory);
  const model = await loadEmbeddingModelOf(embeddingModel, manifest.model.settings);
  let dense: DenseRetriever;
  try {
    dense = await loadDenseRetriever(directory, model);
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const opened: ClosableRetriever = {
    specificationVersion: 'v1',
    name: dense.name,
    search: (queries, k, options) => dense.search(queries, k, options),
    async dispose() {
      await dense.dispose();
      await model.dispose();
    },
  };
  return opened;
}

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
  if (source.kind === 'index') return openIndexDirectory(source.indexDirectory, source.embeddingModel, source.field);
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
  return { kind: 'index', indexDirectory: resolve(value) };
}
