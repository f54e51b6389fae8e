import { describe, expect, it } from 'vitest';
import { createRandom } from '../test/tiny-encoder';
import { ExactIndex, transposeMatrix } from './exact-index';

function randomRows(seed: number, rows: number, dimension: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: rows * dimension }, () => random.normal());
}

/** Brute-force reference: every score in float64, sorted by score desc then index asc. */
function referenceTop(
  corpus: Float32Array,
  query: Float32Array,
  dimension: number,
  k: number,
): Array<{ index: number; score: number }> {
  const count = corpus.length / dimension;
  const scored = Array.from({ length: count }, (_, index) => {
    let score = 0;
    for (let unit = 0; unit < dimension; unit += 1) score += corpus[index * dimension + unit]! * query[unit]!;
    return { index, score };
  });
  return scored.sort((left, right) => right.score - left.score || left.index - right.index).slice(0, k);
}

describe('transposeMatrix', () => {
  it('turns [2, 3] into [3, 2]', () => {
    expect(Array.from(transposeMatrix(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('round-trips a matrix larger than one 64×64 block', () => {
    const matrix = randomRows(1, 130, 70);
    expect(transposeMatrix(transposeMatrix(matrix, 130, 70), 70, 130)).toEqual(matrix);
  });
});

describe('ExactIndex', () => {
  const dimension = 16;
  const corpus = randomRows(2, 300, dimension);

  it('matches a brute-force float64 reference (indices, and scores to 1e-5)', async () => {
    const index = await ExactIndex.create(corpus, dimension);
    const queries = randomRows(3, 5, dimension);
    const top = await index.search(queries, 10);
    expect(top.count).toBe(10);
    for (let query = 0; query < 5; query += 1) {
      const expected = referenceTop(
        corpus,
        queries.subarray(query * dimension, (query + 1) * dimension),
        dimension,
        10,
      );
      expect(Array.from(top.indices.subarray(query * 10, query * 10 + 10))).toEqual(
        expected.map((entry) => entry.index),
      );
      expected.forEach((entry, rank) =>
        expect(Math.abs(top.scores[query * 10 + rank]! - entry.score)).toBeLessThan(1e-5),
      );
    }
    await index.dispose();
  });

  it('returns min(k, passages) per query, and ties in ascending index', async () => {
    // rows 0 and 2 are identical and best for the query; row 1 is worse
    const index = await ExactIndex.create(Float32Array.from([1, 0, 0, 1, 1, 0]), 2);
    const top = await index.search(Float32Array.from([1, 0]), 10);
    expect(top.count).toBe(3);
    expect(Array.from(top.indices)).toEqual([0, 2, 1]);
    expect(Array.from(top.scores)).toEqual([1, 1, 0]);
    await index.dispose();
  });

  it('gives the same answers when the score budget splits the queries into several runs', async () => {
    const whole = await ExactIndex.create(corpus, dimension);
    const split = await ExactIndex.create(corpus, dimension, { scoreBudget: 700 }); // two queries per run
    const queries = randomRows(4, 7, dimension);
    const [fromSplit, fromWhole] = [await split.search(queries, 4), await whole.search(queries, 4)];
    expect(fromSplit.indices).toEqual(fromWhole.indices);
    // onnxruntime's float32 sums depend on the batch shape in the last bits (hence the retriever rescoring)
    fromSplit.scores.forEach((score, index) => expect(Math.abs(score - fromWhole.scores[index]!)).toBeLessThan(1e-5));
    await Promise.all([whole.dispose(), split.dispose()]);
  });

  it('reads vectors and row ranges back from the transposed store', async () => {
    const index = await ExactIndex.create(corpus, dimension);
    expect(index.vector(7)).toEqual(corpus.subarray(7 * dimension, 8 * dimension));
    expect(index.rows(10, 13)).toEqual(corpus.subarray(10 * dimension, 13 * dimension));
    await index.dispose();
  });

  it('answers an empty corpus and k = 0 without running', async () => {
    const empty = await ExactIndex.create(new Float32Array(0), 4);
    expect(await empty.search(Float32Array.from([1, 0, 0, 0]), 3)).toEqual({
      indices: new Int32Array(0),
      scores: new Float32Array(0),
      count: 0,
    });
    const index = await ExactIndex.create(corpus, dimension);
    expect((await index.search(randomRows(5, 2, dimension), 0)).count).toBe(0);
    await index.dispose();
  });
});
