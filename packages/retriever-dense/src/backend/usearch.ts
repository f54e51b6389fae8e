// The only file of @research-ts/retriever-dense that imports usearch (house style: a third-party
// engine enters through one file).
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

/** The nearest keys of each query: `keys[q * count + j]` for `j < found[q]`, best first. */
export interface HnswMatches {
  keys: Int32Array;
  found: Int32Array;
  /** Columns per query in `keys`. */
  count: number;
}

/**
 * An HNSW index over vectors keyed `0..n-1`, with the inner-product metric (usearch `ip`, distance
 * `1 - a·b`). Vectors are float32.
 */
export class HnswIndex {
  private constructor(
    private readonly index: InstanceType<typeof usearch.Index>,
    readonly dimension: number,
  ) {}

  /** Builds an index over `rows` (`[count, dimension]`, row-major), keys `0..count-1`. */
  static build(rows: Float32Array, dimension: number, parameters: HnswParameters): HnswIndex {
    const index = new usearch.Index({
      dimensions: dimension,
      metric: usearch.MetricKind.IP,
      quantization: usearch.ScalarKind.F32,
      connectivity: parameters.connectivity,
      expansion_add: parameters.expansionAdd,
      expansion_search: parameters.expansionSearch,
      multi: false,
    });
    const count = rows.length / dimension;
    if (count > 0) {
      const keys = new BigUint64Array(count);
      for (let key = 0; key < count; key += 1) keys[key] = BigInt(key);
      index.add(keys, rows, 0);
    }
    return new HnswIndex(index, dimension);
  }

  /**
   * Loads an index saved by {@link save}. The file must hold `expectedCount` vectors of
   * `expectedDimension`; otherwise an `InvalidInputError` naming `path`.
   */
  static load(path: string, expectedDimension: number, expectedCount: number, parameters: HnswParameters): HnswIndex {
    const index = new usearch.Index({
      dimensions: expectedDimension,
      metric: usearch.MetricKind.IP,
      quantization: usearch.ScalarKind.F32,
      connectivity: parameters.connectivity,
      expansion_add: parameters.expansionAdd,
      expansion_search: parameters.expansionSearch,
      multi: false,
    });
    try {
      index.load(path);
    } catch (error) {
      throw new InvalidInputError(
        `usearch could not load the index: ${(error as Error).message}`,
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
    return new HnswIndex(index, expectedDimension);
  }

  get size(): number {
    return this.index.size();
  }

  /** The `count` nearest keys (largest inner product) of each query row (`[queries, dimension]`). */
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
