import type { TextEmbedder } from '../src/embedding-model';
import { createRandom } from './tiny-encoder';

/** `count` random vectors (`[count, dimension]`), each scaled to unit length when `normalize`. */
export function randomVectors(seed: number, count: number, dimension: number, normalize = true): Float32Array {
  const random = createRandom(seed);
  const vectors = new Float32Array(count * dimension);
  for (let row = 0; row < count; row += 1) {
    let squares = 0;
    for (let unit = 0; unit < dimension; unit += 1) {
      const value = random.normal();
      vectors[row * dimension + unit] = value;
      squares += value * value;
    }
    if (normalize)
      for (let unit = 0; unit < dimension; unit += 1)
        vectors[row * dimension + unit] = vectors[row * dimension + unit]! / Math.sqrt(squares);
  }
  return vectors;
}

/**
 * A query-only embedder over a fixed table: the query `"q<i>"` embeds to row `i` of `queries`. It
 * records every call's texts.
 */
export function matrixEmbedder(
  queries: Float32Array,
  dimension: number,
  fingerprint = 'matrix-v1',
): TextEmbedder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    dimension,
    fingerprint,
    calls,
    async embedQueries(texts) {
      calls.push([...texts]);
      const vectors = new Float32Array(texts.length * dimension);
      texts.forEach((text, index) => {
        const row = Number(/^q(\d+)$/.exec(text.trim())?.[1]);
        if (!Number.isInteger(row) || (row + 1) * dimension > queries.length)
          throw new Error(`no vector for query ${JSON.stringify(text)}`);
        vectors.set(queries.subarray(row * dimension, (row + 1) * dimension), index * dimension);
      });
      return vectors;
    },
  };
}

/** Brute-force reference: float64 inner products rounded to float32, sorted by score desc then id asc. */
export function referenceSearch(
  ids: readonly string[],
  corpus: Float32Array,
  query: Float32Array,
  dimension: number,
  k: number,
): Array<{ id: string; score: number }> {
  const scored = ids.map((id, index) => {
    let score = 0;
    for (let unit = 0; unit < dimension; unit += 1) score += query[unit]! * corpus[index * dimension + unit]!;
    return { id, score: Math.fround(score) };
  });
  return scored
    .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))
    .slice(0, k);
}
