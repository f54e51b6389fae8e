import {
  InvalidConfigError,
  InvalidInputError,
  type Passage,
  type Retriever,
  type RetrieverSearchOptions,
} from '@research-ts/spec';
import { reciprocalRankFusion } from './reciprocal-rank-fusion';

export interface HybridRetrieverOptions {
  /** The RRF constant `k` in `weight / (k + rank)`. Default 60 (the paper's value). */
  k?: number;
  /** Weights of the two retrievers' terms. Default `[1, 1]`. */
  weights?: readonly [number, number];
  /** Passages asked from each retriever per query. Default `max(k_search, 50)`, where `k_search` is the k of the call. */
  candidates?: number;
  /** Default `hybrid(<a.name>+<b.name>)`. */
  name?: string;
}

/**
 * Hybrid retrieval by reciprocal rank fusion of any two retrievers (e.g. BM25 and dense). Both are
 * searched in parallel for `candidates` passages per query; each passage scores
 * `weights[0] / (k + rank_a) + weights[1] / (k + rank_b)` (a missing rank adds nothing; passages a
 * retriever scored equally share a rank, so its ties stay ties); the result is
 * the top `k` by fused score, ties by id, with `score` set to the fused value and the contents as the
 * first retriever that returned the passage gave them. An empty query gives [].
 */
export function createHybridRetriever(
  first: Retriever,
  second: Retriever,
  options: HybridRetrieverOptions = {},
): Retriever {
  const rankConstant = options.k ?? 60;
  if (!Number.isFinite(rankConstant) || rankConstant < 0)
    throw new InvalidConfigError('k', `must be a finite number >= 0, got ${String(rankConstant)}`);
  const weights = options.weights ?? [1, 1];
  if (!Array.isArray(weights) || weights.length !== 2)
    throw new InvalidConfigError('weights', 'must be a pair [weightA, weightB]');
  weights.forEach((weight, index) => {
    if (!Number.isFinite(weight) || weight < 0)
      throw new InvalidConfigError(`weights.${index}`, `must be a finite number >= 0, got ${String(weight)}`);
  });
  if (weights[0] === 0 && weights[1] === 0) throw new InvalidConfigError('weights', 'must not both be 0');
  if (options.candidates !== undefined && (!Number.isInteger(options.candidates) || options.candidates < 1)) {
    throw new InvalidConfigError('candidates', `must be a positive integer, got ${String(options.candidates)}`);
  }

  return {
    specificationVersion: 'v1',
    name: options.name ?? `hybrid(${first.name}+${second.name})`,
    async search(
      queries: readonly string[],
      k: number,
      searchOptions: RetrieverSearchOptions = {},
    ): Promise<Passage[][]> {
      if (!Array.isArray(queries))
        throw new InvalidInputError('expected an array of query strings', { field: 'queries' });
      if (!Number.isInteger(k) || k < 0)
        throw new InvalidInputError(`expected a non-negative integer, got ${String(k)}`, { field: 'k' });
      queries.forEach((query, index) => {
        if (typeof query !== 'string')
          throw new InvalidInputError(`expected a string, got ${typeof query}`, { field: `queries.${index}` });
      });
      searchOptions.signal?.throwIfAborted();
      const results: Passage[][] = queries.map(() => []);
      const asked = queries.flatMap((query, index) => (query.trim() === '' ? [] : [index]));
      if (k === 0 || asked.length === 0) return results;
      const candidates = options.candidates ?? Math.max(k, 50);
      const askedQueries = asked.map((index) => queries[index]!);
      // A retriever of weight 0 adds nothing to any score, so it is not asked.
      const none = (): Passage[][] => askedQueries.map(() => []);
      const [fromFirst, fromSecond] = await Promise.all([
        weights[0] > 0 ? first.search(askedQueries, candidates, searchOptions) : none(),
        weights[1] > 0 ? second.search(askedQueries, candidates, searchOptions) : none(),
      ]);
      asked.forEach((queryIndex, row) => {
        const listA = fromFirst[row] ?? [];
        const listB = fromSecond[row] ?? [];
        const contents = new Map<string, string>();
        for (const passage of [...listA, ...listB])
          if (!contents.has(passage.id)) contents.set(passage.id, passage.contents);
        const fused = reciprocalRankFusion(
          [
            {
              ids: listA.map((passage) => passage.id),
              scores: listA.map((passage) => passage.score),
              weight: weights[0],
            },
            {
              ids: listB.map((passage) => passage.id),
              scores: listB.map((passage) => passage.score),
              weight: weights[1],
            },
          ],
          rankConstant,
        );
        results[queryIndex] = fused.slice(0, k).map(({ id, score }) => ({ id, contents: contents.get(id)!, score }));
      });
      return results;
    },
  };
}
