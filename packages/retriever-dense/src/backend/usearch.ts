// The only file of @research-ts/retriever-dense that imports usearch (house style: a third-party
// engine enters through one file).
import { openSync, readSync, closeSync } from 'node:fs';
import { InvalidInputError } from '@research-ts/spec';
import usearch from 'usearch';

/** HNSW graph parameters (usearch names: connectivity = M, expansion_add = efConstruction, expansion_search = ef). */
export interface HnswParameters {
  /** Neighbours per node per layer (HNSW `M`). */
  connectivity: number;
  /** Candidate list size while inserting (HNSW `efConstruction`). */
  expansionAdd: number;
  /** Candidate list size while searching (HNSW `ef`). */
  expansionSearch: number;
}

/**
 * How the HNSW graph stores its vectors, and the distance it walks the graph by. Float32 queries are cast to
 * the same kind by usearch. `i8` scales each vector to unit length before rounding to [-127, 127] (so it ranks
 * by cosine); `b1` keeps one sign bit per dimension and ranks by Hamming distance.
 */
const hnswScalarKinds = {
  f32: {
    scalar: usearch.ScalarKind.F32,
    metric: usearch.MetricKind.IP,
    bytesPerVector: (dimension: number) => 4 * dimension,
  },
  f16: {
    scalar: usearch.ScalarKind.F16,
    metric: usearch.MetricKind.IP,
    bytesPerVector: (dimension: number) => 2 * dimension,
  },
  i8: {
    scalar: usearch.ScalarKind.I8,
    metric: usearch.MetricKind.IP,
    bytesPerVector: (dimension: number) => dimension,
  },
  b1: {
    scalar: usearch.ScalarKind.B1,
    metric: usearch.MetricKind.Hamming,
    bytesPerVector: (dimension: number) => Math.ceil(dimension / 8),
  },
} as const;

/** The vector kinds an HNSW graph can hold: `f32` (default), `f16`, `i8`, `b1` (one bit per dimension). */
export type HnswQuantization = keyof typeof hnswScalarKinds;
export const hnswQuantizations = Object.freeze(Object.keys(hnswScalarKinds)) as readonly HnswQuantization[];

/** Bytes one stored vector takes in the graph file. */
export function quantizedVectorBytes(quantization: HnswQuantization, dimension: number): number {
  return hnswScalarKinds[quantization].bytesPerVector(dimension);
}

/** The nearest keys of each query: `keys[q * count + j]` for `j < found[q]`, best first. */
export interface HnswMatches {
  keys: Int32Array;
  found: Int32Array;
  /** Columns per query in `keys`. */
  count: number;
}

type UsearchIndex = InstanceType<typeof usearch.Index>;

function createUsearchIndex(
  dimension: number,
  parameters: HnswParameters,
  quantization: HnswQuantization,
): UsearchIndex {
  const kind = hnswScalarKinds[quantization];
  return new usearch.Index({
    dimensions: dimension,
    metric: kind.metric,
    quantization: kind.scalar,
    connectivity: parameters.connectivity,
    expansion_add: parameters.expansionAdd,
    expansion_search: parameters.expansionSearch,
    multi: false,
  });
}

/**
 * The vector matrix that leads a usearch file: `[rows: u32, bytes per row: u32]` (little-endian). Read before
 * usearch maps the file, so a file of another quantization or dimension is refused with a message.
 */
function readMatrixShape(path: string): { rows: number; rowBytes: number } {
  const head = new Uint8Array(8);
  let read = 0;
  try {
    const descriptor = openSync(path, 'r');
    try {
      read = readSync(descriptor, head, 0, 8, 0);
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  if (read < 8) throw new InvalidInputError(`has ${read} bytes, too short for a usearch index`, { source: path });
  const view = new DataView(head.buffer);
  return { rows: view.getUint32(0, true), rowBytes: view.getUint32(4, true) };
}

/**
 * An HNSW index over vectors keyed `0..n-1`. Float32, float16 and int8 graphs rank by inner product
 * (usearch `ip`, distance `1 - a·b`); a binary graph ranks by Hamming distance between sign bits.
 */
export class HnswIndex {
  private constructor(
    private readonly index: UsearchIndex,
    readonly dimension: number,
    readonly quantization: HnswQuantization,
  ) {}

  /** Builds an index over `rows` (`[count, dimension]`, row-major, float32), keys `0..count-1`. */
  static build(
    rows: Float32Array,
    dimension: number,
    parameters: HnswParameters,
    quantization: HnswQuantization = 'f32',
  ): HnswIndex {
    const index = createUsearchIndex(dimension, parameters, quantization);
    const count = rows.length / dimension;
    if (count > 0) {
      const keys = new BigUint64Array(count);
      for (let key = 0; key < count; key += 1) keys[key] = BigInt(key);
      index.add(keys, rows, 0);
    }
    return new HnswIndex(index, dimension, quantization);
  }

  /**
   * Opens an index saved by {@link save}, memory-mapped (usearch `view`): the graph and its vectors stay in
   * the file and the OS pages them in as searches touch them. The file must hold `expectedCount` vectors of
   * `expectedDimension` stored as `quantization`; otherwise an `InvalidInputError` naming `path`. The file
   * must not change while the index is open (a saved index is replaced by renaming, never rewritten).
   */
  static open(
    path: string,
    expectedDimension: number,
    expectedCount: number,
    parameters: HnswParameters,
    quantization: HnswQuantization,
  ): HnswIndex {
    const shape = readMatrixShape(path);
    const rowBytes = quantizedVectorBytes(quantization, expectedDimension);
    if (shape.rowBytes !== rowBytes && expectedCount > 0) {
      throw new InvalidInputError(
        `stores ${shape.rowBytes} bytes per vector; quantization ${quantization} at dimension ${expectedDimension} stores ${rowBytes} (the manifest's index.quantization or dimension does not match this file)`,
        { source: path },
      );
    }
    const index = createUsearchIndex(expectedDimension, parameters, quantization);
    try {
      index.view(path);
    } catch (error) {
      throw new InvalidInputError(
        `usearch could not open the index: ${(error as Error).message}`,
        { source: path },
        { cause: error },
      );
    }
    if (index.dimensions() !== expectedDimension || index.size() !== expectedCount) {
      throw new InvalidInputError(
        `holds ${index.size()} vectors of dimension ${index.dimensions()}, expected ${expectedCount} of dimension ${expectedDimension}`,
        { source: path },
      );
    }
    return new HnswIndex(index, expectedDimension, quantization);
  }

  get size(): number {
    return this.index.size();
  }

  /** The `count` nearest keys of each query row (`[queries, dimension]`, float32), best first. */
  search(queries: Float32Array, count: number): HnswMatches {
    const queryCount = queries.length / this.dimension;
    const keys = new Int32Array(queryCount * count);
    const found = new Int32Array(queryCount);
    if (queryCount === 0 || count === 0 || this.index.size() === 0) return { keys, found, count };
    if (queryCount === 1) {
      const matches = this.index.search(queries, count, 0) as { keys: BigUint64Array };
      for (let index = 0; index < matches.keys.length; index += 1) keys[index] = Number(matches.keys[index]!);
      found[0] = matches.keys.length;
      return { keys, found, count };
    }
    const batch = this.index.search(queries, count, 0) as unknown as {
      keys: BigUint64Array;
      counts: BigUint64Array;
      k: number;
    };
    for (let query = 0; query < queryCount; query += 1) {
      const hits = Number(batch.counts[query]!);
      found[query] = hits;
      for (let rank = 0; rank < hits; rank += 1)
        keys[query * count + rank] = Number(batch.keys[query * batch.k + rank]!);
    }
    return { keys, found, count };
  }

  /** Writes the index (usearch's own file format) to `path`. */
  save(path: string): void {
    this.index.save(path);
  }
}
