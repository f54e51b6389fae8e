import { InvalidInputError, type Passage, type Retriever, type RetrieverSearchOptions } from '@research-ts/spec';
import type { HnswIndex, HnswParameters } from './backend/usearch';
import type { TextEmbedder } from './embedding-model';
import type { ExactIndex } from './exact-index';
import type { HnswQuantization, RescoreOptions } from './hnsw-quantization';
import type { PassageStore } from './passage-store';
import type { PassageVectors } from './passage-vectors';
import { normalizeRows } from './pool-hidden-states';
import { saveDenseIndex } from './save-dense-index';

/** `inner-product`: score = q·p. `cosine`: vectors are L2-normalized first, so score = cos(q, p). */
export type DenseMetric = 'inner-product' | 'cosine';

/** The vector index behind a {@link DenseRetriever}. */
export type DenseIndex =
  | { kind: 'exact'; exact: ExactIndex }
  | {
      kind: 'hnsw';
      hnsw: HnswIndex;
      parameters: HnswParameters;
      quantization: HnswQuantization;
      rescore: RescoreOptions | false;
      /** The full-precision vectors candidates are rescored with (in memory, or a file read by offset). */
      vectors: PassageVectors;
    };

/** @internal What a dense retriever holds; passages are sorted by id and vectors are in that order. */
export interface DenseRetrieverState {
  name: string;
  model: TextEmbedder;
  metric: DenseMetric;
  /** In memory for a retriever just built; read from `passages.jsonl` by offset for a loaded one. */
  passages: PassageStore;
  index: DenseIndex;
}

/** Sizes and settings of a dense retriever. */
export interface DenseRetrieverStats {
  passages: number;
  dimension: number;
  index: 'exact' | 'hnsw';
  metric: DenseMetric;
  /** The HNSW parameters, for an HNSW index. */
  hnsw?: HnswParameters;
  /** How the HNSW graph stores its vectors, for an HNSW index. */
  quantization?: HnswQuantization;
  /** How HNSW candidates are rescored, for an HNSW index. */
  rescore?: RescoreOptions | false;
}

/**
 * Dense retrieval: queries are embedded by the model and matched against the passage embeddings by
 * inner product (cosine with `metric: 'cosine'` or a normalizing model). `exact` scores every passage
 * with one onnxruntime MatMul (+ TopK) per batch of queries; `hnsw` searches a usearch HNSW graph, whose
 * vectors may be quantized (f16, i8, b1). Either way the index proposes `max(2k, k + 10)` candidates (HNSW:
 * `ceil(k × rescore.oversample)` when that is more), which are rescored with the full-precision vectors in
 * float64 (rounded to float32) in a fixed order, so a score never depends on the batch a query came in.
 * Results: best first, equal scores by id ascending, an empty or whitespace query gives [].
 *
 * Build one with `createDenseRetriever`, or load a saved one with `loadDenseRetriever`.
 */
export class DenseRetriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  private readonly state: DenseRetrieverState;

  /** @internal Use `createDenseRetriever` or `loadDenseRetriever`. */
  constructor(state: DenseRetrieverState) {
    this.state = state;
    this.name = state.name;
  }

  get stats(): DenseRetrieverStats {
    const { index } = this.state;
    const stats: DenseRetrieverStats = {
      passages: this.state.passages.count,
      dimension: this.state.model.dimension,
      index: index.kind,
      metric: this.state.metric,
    };
    if (index.kind === 'hnsw') {
      stats.hnsw = { ...index.parameters };
      stats.quantization = index.quantization;
      stats.rescore = index.rescore === false ? false : { ...index.rescore };
    }
    return stats;
  }

  /** The embedder that encodes queries. */
  get model(): TextEmbedder {
    return this.state.model;
  }

  async search(queries: readonly string[], k: number, options: RetrieverSearchOptions = {}): Promise<Passage[][]> {
    if (!Array.isArray(queries))
      throw new InvalidInputError('expected an array of query strings', { field: 'queries' });
    if (!Number.isInteger(k) || k < 0)
      throw new InvalidInputError(`expected a non-negative integer, got ${String(k)}`, { field: 'k' });
    queries.forEach((query, index) => {
      if (typeof query !== 'string')
        throw new InvalidInputError(`expected a string, got ${typeof query}`, { field: `queries.${index}` });
    });
    options.signal?.throwIfAborted();
    const results: Passage[][] = queries.map(() => []);
    const asked = queries.flatMap((query, index) => (query.trim() === '' ? [] : [index]));
    if (k === 0 || asked.length === 0 || this.state.passages.count === 0) return results;

    const { model } = this.state;
    const vectors = await model.embedQueries(
      asked.map((index) => queries[index]!),
      options.signal === undefined ? {} : { signal: options.signal },
    );
    if (!(vectors instanceof Float32Array) || vectors.length !== asked.length * model.dimension) {
      throw new InvalidInputError(
        `embedQueries must return a Float32Array of ${asked.length} × ${model.dimension} values, got ${describeVectors(vectors)}`,
        {
          source: 'model.embedQueries',
        },
      );
    }
    if (this.state.metric === 'cosine') normalizeRows(vectors, model.dimension);
    options.signal?.throwIfAborted();

    const ranked =
      this.state.index.kind === 'exact'
        ? await this.searchExact(this.state.index.exact, vectors, k)
        : this.searchHnsw(this.state.index, vectors, k);
    asked.forEach((queryIndex, row) => {
      results[queryIndex] = ranked[row]!.map(({ index, score }) => ({ ...this.state.passages.passage(index), score }));
    });
    return results;
  }

  /**
   * Writes the retriever to `directory` (created if missing): `passages.jsonl`, its offset table
   * `passage-offsets.bin`, `embeddings.f32` (float32 little-endian, `[passages, dimension]`, id order),
   * `index.usearch` for an HNSW index, and a `manifest.json` with sizes, the model fingerprint and SHA-256
   * checksums, written last. A loaded retriever copies its passage lines, each checked against its CRC-32.
   */
  async save(directory: string): Promise<void> {
    await saveDenseIndex(directory, this.state);
  }

  /** Frees the native resources of the index and closes its vector and passage files (the model is the caller's). */
  async dispose(): Promise<void> {
    this.state.passages.close();
    if (this.state.index.kind === 'exact') await this.state.index.exact.dispose();
    else this.state.index.vectors.close();
  }

  private async searchExact(
    exact: ExactIndex,
    vectors: Float32Array,
    k: number,
  ): Promise<Array<Array<{ index: number; score: number }>>> {
    // onnxruntime's float32 sums vary in the last bits with the batch shape; the candidates are rescored
    // exactly, so scores and ties do not depend on which queries share a batch.
    const top = await exact.search(vectors, candidateCount(k, exact.count));
    const dimension = exact.dimension;
    const queryCount = vectors.length / dimension;
    const ranked: Array<Array<{ index: number; score: number }>> = [];
    for (let query = 0; query < queryCount; query += 1) {
      const list: Array<{ index: number; score: number }> = [];
      for (let rank = 0; rank < top.count; rank += 1) {
        const passage = top.indices[query * top.count + rank]!;
        list.push({
          index: passage,
          score: innerProduct(vectors, query * dimension, exact.columns, passage, dimension, exact.count),
        });
      }
      ranked.push(sortByScoreThenIndex(list).slice(0, k));
    }
    return ranked;
  }

  private searchHnsw(
    index: Extract<DenseIndex, { kind: 'hnsw' }>,
    vectors: Float32Array,
    k: number,
  ): Array<Array<{ index: number; score: number }>> {
    const dimension = index.hnsw.dimension;
    const passages = this.state.passages.count;
    // Extra candidates (more for a coarse quantization), rescored exactly with the full-precision vectors,
    // so that near-ties at the cut follow the id rule and the quantized order is corrected.
    const wanted =
      index.rescore === false
        ? Math.min(passages, k)
        : Math.max(candidateCount(k, passages), Math.min(passages, Math.ceil(k * index.rescore.oversample)));
    const matches = index.hnsw.search(vectors, wanted);
    const queryCount = vectors.length / dimension;
    const candidates = new Float32Array(matches.count * dimension);
    const ranked: Array<Array<{ index: number; score: number }>> = [];
    for (let query = 0; query < queryCount; query += 1) {
      const found = matches.found[query]!;
      const keys = matches.keys.subarray(query * matches.count, query * matches.count + found);
      index.vectors.gather(keys, candidates);
      const list: Array<{ index: number; score: number }> = [];
      for (let rank = 0; rank < found; rank += 1) {
        list.push({
          index: keys[rank]!,
          score: innerProduct(vectors, query * dimension, candidates, rank * dimension, dimension, 1),
        });
      }
      ranked.push(sortByScoreThenIndex(list).slice(0, k));
    }
    return ranked;
  }
}

/** Candidates fetched from an index for a top-k: `k` plus a margin for near-ties at the cut. */
function candidateCount(k: number, passages: number): number {
  return Math.min(passages, Math.max(2 * k, k + 10));
}

/**
 * `Σ a[aStart + u] · b[bStart + u · bStride]` over `length` values, accumulated in float64 in a fixed
 * order and rounded to float32: the same vectors always give the same score.
 */
function innerProduct(
  a: Float32Array,
  aStart: number,
  b: Float32Array,
  bStart: number,
  length: number,
  bStride: number,
): number {
  let sum = 0;
  for (let unit = 0; unit < length; unit += 1) sum += a[aStart + unit]! * b[bStart + unit * bStride]!;
  return Math.fround(sum);
}

/** Score descending, then passage index ascending (passages are stored in id order). */
function sortByScoreThenIndex(list: Array<{ index: number; score: number }>): Array<{ index: number; score: number }> {
  return list.sort((left, right) => right.score - left.score || left.index - right.index);
}

function describeVectors(value: unknown): string {
  if (value instanceof Float32Array) return `${value.length} values`;
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
