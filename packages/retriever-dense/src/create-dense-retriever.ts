import { InvalidConfigError, InvalidInputError, type Passage } from '@research-ts/spec';
import type { ExecutionProvider } from './backend/onnxruntime';
import { HnswIndex, type HnswParameters } from './backend/usearch';
import { DenseRetriever, type DenseIndex, type DenseMetric } from './dense-retriever';
import type { EmbedOptions, TextEmbedder } from './embedding-model';
import { ExactIndex } from './exact-index';
import {
  checkQuantization,
  checkQuantizedDimension,
  checkRescore,
  type HnswQuantization,
  type RescoreOptions,
} from './hnsw-quantization';
import { passagesInMemory } from './passage-store';
import { vectorsInMemory, type PassageVectors } from './passage-vectors';
import { normalizeRows } from './pool-hidden-states';

/** A passage to index: `id` and FlashRAG `contents` (`"Title"\ntext`). */
export type PassageInput = Pick<Passage, 'id' | 'contents'>;

/**
 * HNSW defaults: usearch's connectivity 16 and expansion_add 128, and a search expansion of 256 instead of its 64:
 * on 1M clustered 768-dimensional vectors (BENCHMARKS.md) 256 finds 0.975 of the true top 10 (int8 graph) where 64
 * finds 0.899, for 1.3× the query time (about 1 ms).
 */
export const defaultHnswParameters: Readonly<HnswParameters> = Object.freeze({
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 256,
});

export interface CreateDenseRetrieverOptions {
  /** Embeds queries (and passages, when `embeddings` is absent). */
  model: TextEmbedder;
  passages: readonly PassageInput[];
  /**
   * Precomputed passage embeddings, `[passages.length, model.dimension]` row-major, in `passages` order.
   * When absent, `model.embedPassages` computes them.
   */
  embeddings?: Float32Array;
  /** `exact` (default): one MatMul over every passage. `hnsw`: an approximate usearch HNSW graph. */
  index?: 'exact' | 'hnsw';
  hnsw?: Partial<HnswParameters>;
  /**
   * How the HNSW graph stores its vectors: `f32` (default), `f16`, `i8` (each vector scaled to unit length,
   * then rounded to [-127, 127]) or `b1` (one sign bit per dimension, Hamming distance; the dimension must
   * be divisible by 8). Only for `index: 'hnsw'`. The full-precision vectors are kept beside it to rescore
   * candidates.
   */
  quantization?: HnswQuantization;
  /**
   * Rescoring of HNSW candidates with the full-precision vectors: `{ oversample }` fetches
   * `ceil(k × oversample)` candidates (default 4 for b1, else 1: the tie margin); `false` keeps the
   * graph's own top k. Only for `index: 'hnsw'`.
   */
  rescore?: Partial<RescoreOptions> | false;
  /** Default `inner-product`; `cosine` normalizes passage and query vectors first. */
  metric?: DenseMetric;
  /** Default `dense-exact` or `dense-hnsw`. */
  name?: string;
  /** Provider of the exact-search session. Default `'cpu'`. */
  executionProvider?: ExecutionProvider;
  /** Progress of passage encoding (when the model embeds them). */
  onProgress?: EmbedOptions['onProgress'];
  signal?: AbortSignal;
}

function compareIds(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function checkHnswParameters(given: Partial<HnswParameters> | undefined): HnswParameters {
  const parameters = { ...defaultHnswParameters, ...given };
  for (const field of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    const value = parameters[field];
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidConfigError(`hnsw.${field}`, `must be a positive integer, got ${String(value)}`);
  }
  if (parameters.connectivity < 2)
    throw new InvalidConfigError('hnsw.connectivity', `must be at least 2, got ${parameters.connectivity}`);
  return parameters;
}

/** The HNSW settings of a dense index: graph parameters, quantization and rescoring, all checked. */
export interface HnswSettings {
  parameters: HnswParameters;
  quantization: HnswQuantization;
  rescore: RescoreOptions | false;
}

/** @internal Builds an exact index over vectors already in id order (shared with `loadDenseRetriever`). */
export async function buildExactIndex(
  rows: Float32Array,
  dimension: number,
  executionProvider: ExecutionProvider | undefined,
): Promise<DenseIndex> {
  return {
    kind: 'exact',
    exact: await ExactIndex.create(rows, dimension, executionProvider === undefined ? {} : { executionProvider }),
  };
}

/**
 * @internal An HNSW index over `vectors` (already in id order): a new graph built from them, or the saved
 * graph in `graphFile`, memory-mapped (shared with `loadDenseRetriever`).
 */
export function buildHnswIndex(
  vectors: PassageVectors,
  settings: HnswSettings,
  source: { rows: Float32Array } | { graphFile: string },
): DenseIndex {
  const { parameters, quantization, rescore } = settings;
  const hnsw =
    'rows' in source
      ? HnswIndex.build(source.rows, vectors.dimension, parameters, quantization)
      : HnswIndex.open(source.graphFile, vectors.dimension, vectors.count, parameters, quantization);
  return { kind: 'hnsw', hnsw, parameters, quantization, rescore, vectors };
}

/**
 * A dense {@link DenseRetriever} over `passages`. Embeddings come from `embeddings` or from
 * `model.embedPassages`. Passages are stored sorted by id, so that equal scores come out by id.
 *
 * @throws InvalidInputError for a duplicate id, a non-string field, or embeddings of the wrong size or
 * with non-finite values; InvalidConfigError for bad options.
 */
export async function createDenseRetriever(options: CreateDenseRetrieverOptions): Promise<DenseRetriever> {
  const { model, passages } = options;
  if (model === null || typeof model !== 'object' || typeof model.embedQueries !== 'function') {
    throw new InvalidConfigError('model', 'must have embedQueries(texts) and a dimension');
  }
  const dimension = model.dimension;
  if (!Number.isInteger(dimension) || dimension < 1)
    throw new InvalidConfigError('model.dimension', `must be a positive integer, got ${String(dimension)}`);
  if (typeof model.fingerprint !== 'string' || model.fingerprint === '')
    throw new InvalidConfigError('model.fingerprint', 'must be a non-empty string');
  const kind = options.index ?? 'exact';
  if (kind !== 'exact' && kind !== 'hnsw')
    throw new InvalidConfigError('index', `must be 'exact' or 'hnsw', got ${JSON.stringify(kind)}`);
  const metric = options.metric ?? 'inner-product';
  if (metric !== 'inner-product' && metric !== 'cosine')
    throw new InvalidConfigError('metric', `must be 'inner-product' or 'cosine', got ${JSON.stringify(metric)}`);
  const hnsw = checkHnswParameters(options.hnsw);
  const quantization = checkQuantization(options.quantization);
  const rescore = checkRescore(options.rescore, quantization);
  if (kind === 'exact' && quantization !== 'f32')
    throw new InvalidConfigError('quantization', `applies to index 'hnsw'; the exact index searches float32 vectors`);
  if (kind === 'exact' && options.rescore !== undefined)
    throw new InvalidConfigError('rescore', `applies to index 'hnsw'; the exact index rescores its own candidates`);
  checkQuantizedDimension(quantization, dimension, 'quantization');
  if (!Array.isArray(passages)) throw new InvalidInputError('expected an array of passages', { field: 'passages' });
  passages.forEach((passage, index) => {
    if (passage === null || typeof passage !== 'object')
      throw new InvalidInputError('expected an object', { field: `passages.${index}` });
    if (typeof passage.id !== 'string')
      throw new InvalidInputError(`expected a string, got ${typeof passage.id}`, { field: `passages.${index}.id` });
    if (typeof passage.contents !== 'string')
      throw new InvalidInputError(`expected a string, got ${typeof passage.contents}`, {
        field: `passages.${index}.contents`,
      });
  });

  let embeddings = options.embeddings;
  if (embeddings === undefined) {
    if (typeof model.embedPassages !== 'function') {
      throw new InvalidConfigError(
        'embeddings',
        'are required when the model has no embedPassages (a query-only embedder)',
      );
    }
    const embedOptions: EmbedOptions = {};
    if (options.onProgress !== undefined) embedOptions.onProgress = options.onProgress;
    if (options.signal !== undefined) embedOptions.signal = options.signal;
    embeddings = await model.embedPassages(
      passages.map((passage) => passage.contents),
      embedOptions,
    );
  }
  if (!(embeddings instanceof Float32Array))
    throw new InvalidInputError('must be a Float32Array', { field: 'embeddings' });
  if (embeddings.length !== passages.length * dimension) {
    throw new InvalidInputError(
      `hold ${embeddings.length} values; ${passages.length} passages × dimension ${dimension} need ${passages.length * dimension}`,
      {
        field: 'embeddings',
      },
    );
  }
  for (let index = 0; index < embeddings.length; index += 1) {
    if (!Number.isFinite(embeddings[index]!)) {
      throw new InvalidInputError(`value ${embeddings[index]} at row ${Math.floor(index / dimension)} is not finite`, {
        field: 'embeddings',
      });
    }
  }

  const order = passages
    .map((_, index) => index)
    .sort((left, right) => compareIds(passages[left]!.id, passages[right]!.id));
  for (let rank = 1; rank < order.length; rank += 1) {
    if (passages[order[rank]!]!.id === passages[order[rank - 1]!]!.id) {
      throw new InvalidInputError(`duplicate passage id ${JSON.stringify(passages[order[rank]!]!.id)}`, {
        field: `passages.${order[rank]}.id`,
      });
    }
  }
  const rows = new Float32Array(embeddings.length);
  order.forEach((passage, rank) =>
    rows.set(embeddings!.subarray(passage * dimension, (passage + 1) * dimension), rank * dimension),
  );
  if (metric === 'cosine') normalizeRows(rows, dimension);
  options.signal?.throwIfAborted();

  const index =
    kind === 'exact'
      ? await buildExactIndex(rows, dimension, options.executionProvider)
      : buildHnswIndex(vectorsInMemory(rows, dimension), { parameters: hnsw, quantization, rescore }, { rows });
  return new DenseRetriever({
    name: options.name ?? `dense-${kind}`,
    model,
    metric,
    passages: passagesInMemory(
      order.map((passage) => passages[passage]!.id),
      order.map((passage) => passages[passage]!.contents),
    ),
    index,
  });
}
