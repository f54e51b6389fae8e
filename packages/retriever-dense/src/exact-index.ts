import { createSession, type ExecutionProvider, type OnnxSession } from './backend/onnxruntime';
import { buildExactSearchGraph, exactSearchNames } from './exact-search-graph';

/** The best `count` passages of each query: `indices[q * count + j]`, `scores[q * count + j]`, best first. */
export interface TopMatches {
  indices: Int32Array;
  scores: Float32Array;
  count: number;
}

/** At most this many scores (queries × passages) are materialized by one run (128 MiB of float32). */
const defaultScoreBudget = 1 << 25;

export interface ExactIndexOptions {
  executionProvider?: ExecutionProvider;
  /** Most scores (queries × passages) one run materializes. Default 2²⁵ (128 MiB). */
  scoreBudget?: number;
}

/** `[rows, columns]` row-major to `[columns, rows]` row-major. */
export function transposeMatrix(matrix: Float32Array, rows: number, columns: number): Float32Array {
  const transposed = new Float32Array(rows * columns);
  const block = 64;
  for (let rowBlock = 0; rowBlock < rows; rowBlock += block) {
    const rowEnd = Math.min(rows, rowBlock + block);
    for (let columnBlock = 0; columnBlock < columns; columnBlock += block) {
      const columnEnd = Math.min(columns, columnBlock + block);
      for (let row = rowBlock; row < rowEnd; row += 1) {
        for (let column = columnBlock; column < columnEnd; column += 1)
          transposed[column * rows + row] = matrix[row * columns + column]!;
      }
    }
  }
  return transposed;
}

/**
 * Exact maximum-inner-product search: one onnxruntime MatMul of the query batch against the whole
 * corpus, then TopK, in one run (split into several runs only when queries × passages exceeds 2²⁵
 * scores by default). The corpus is kept transposed, `[dimension, passages]`, and fed to every run without a copy.
 */
export class ExactIndex {
  private constructor(
    private readonly session: OnnxSession | undefined,
    /** `[dimension, count]` */
    readonly columns: Float32Array,
    readonly dimension: number,
    readonly count: number,
    private readonly scoreBudget: number,
  ) {}

  /** @param rows `[count, dimension]` row-major; it is transposed into a new array. */
  static async create(rows: Float32Array, dimension: number, options: ExactIndexOptions = {}): Promise<ExactIndex> {
    const count = rows.length / dimension;
    const columns = transposeMatrix(rows, count, dimension);
    const session =
      count === 0
        ? undefined
        : await createSession(buildExactSearchGraph(dimension), {
            executionProvider: options.executionProvider ?? 'cpu',
            source: 'exact-search graph',
          });
    return new ExactIndex(session, columns, dimension, count, options.scoreBudget ?? defaultScoreBudget);
  }

  /** The stored vector of passage `index`. */
  vector(index: number): Float32Array {
    const vector = new Float32Array(this.dimension);
    for (let unit = 0; unit < this.dimension; unit += 1) vector[unit] = this.columns[unit * this.count + index]!;
    return vector;
  }

  /** Rows `start..end` of the corpus, `[end - start, dimension]` row-major. */
  rows(start: number, end: number): Float32Array {
    const rows = new Float32Array((end - start) * this.dimension);
    for (let unit = 0; unit < this.dimension; unit += 1) {
      const column = unit * this.count;
      for (let row = start; row < end; row += 1)
        rows[(row - start) * this.dimension + unit] = this.columns[column + row]!;
    }
    return rows;
  }

  /** The `min(k, count)` best passages of each query row (`queries`: `[n, dimension]`). */
  async search(queries: Float32Array, k: number): Promise<TopMatches> {
    const queryCount = queries.length / this.dimension;
    const count = Math.min(k, this.count);
    const indices = new Int32Array(queryCount * count);
    const scores = new Float32Array(queryCount * count);
    if (queryCount === 0 || count === 0 || this.session === undefined) return { indices, scores, count };
    const rowsPerRun = Math.max(1, Math.floor(this.scoreBudget / this.count));
    const kFeed = { data: BigInt64Array.of(BigInt(count)), dims: [1] };
    const corpusFeed = { data: this.columns, dims: [this.dimension, this.count] };
    for (let start = 0; start < queryCount; start += rowsPerRun) {
      const end = Math.min(queryCount, start + rowsPerRun);
      const outputs = await this.session.run({
        [exactSearchNames.queries]: {
          data: queries.subarray(start * this.dimension, end * this.dimension),
          dims: [end - start, this.dimension],
        },
        [exactSearchNames.corpusColumns]: corpusFeed,
        [exactSearchNames.k]: kFeed,
      });
      scores.set(outputs[exactSearchNames.scores]!.data as Float32Array, start * count);
      const found = outputs[exactSearchNames.indices]!.data as BigInt64Array;
      for (let index = 0; index < found.length; index += 1) indices[start * count + index] = Number(found[index]!);
    }
    return { indices, scores, count };
  }

  async dispose(): Promise<void> {
    await this.session?.release();
  }
}
