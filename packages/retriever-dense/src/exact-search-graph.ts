import { writeOnnxModel } from './write-onnx-model';

/** Input and output names of {@link buildExactSearchGraph}'s model. */
export const exactSearchNames = {
  queries: 'queries',
  corpusColumns: 'corpus_columns',
  k: 'k',
  scores: 'top_scores',
  indices: 'top_indices',
} as const;

/**
 * The exact-search model: `scores = queries · corpusColumns` as one MatMul, then `TopK` over the
 * passages of each query.
 *
 * - `queries` float32 `[queries, dimension]`
 * - `corpus_columns` float32 `[dimension, passages]` (the corpus transposed: a row-major `[1, d]·[d, n]`
 *   product streams the corpus once, which is faster than `Gemm` with `transB` for a single query)
 * - `k` int64 `[1]`, at most `passages`
 * - outputs `top_scores` float32 `[queries, k]` and `top_indices` int64 `[queries, k]`, best first;
 *   equal scores come in ascending passage index (ONNX TopK's rule), which the retriever makes the
 *   id order by storing passages sorted by id.
 */
export function buildExactSearchGraph(dimension: number): Uint8Array {
  const names = exactSearchNames;
  return writeOnnxModel({
    opset: 17,
    graphName: 'exact_inner_product_search',
    inputs: [
      { name: names.queries, elementType: 'float32', shape: ['queries', dimension] },
      { name: names.corpusColumns, elementType: 'float32', shape: [dimension, 'passages'] },
      { name: names.k, elementType: 'int64', shape: [1] },
    ],
    outputs: [
      { name: names.scores, elementType: 'float32', shape: ['queries', 'k'] },
      { name: names.indices, elementType: 'int64', shape: ['queries', 'k'] },
    ],
    nodes: [
      { opType: 'MatMul', name: 'scores', inputs: [names.queries, names.corpusColumns], outputs: ['scores'] },
      {
        opType: 'TopK',
        name: 'top_k',
        inputs: ['scores', names.k],
        outputs: [names.scores, names.indices],
        attributes: [
          { name: 'axis', int: -1 },
          { name: 'largest', int: 1 },
          { name: 'sorted', int: 1 },
        ],
      },
    ],
  });
}
