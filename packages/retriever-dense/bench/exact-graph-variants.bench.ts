// Which exact-search graph: the corpus as MatMul's right operand pre-transposed ([d, n]) or as Gemm's
// B with transB ([n, d]); TopK inside the graph or the full score matrix read back and a JS top-k.
// Same process, same data, 100 000 × 384 random vectors, k = 10.
import * as ort from 'onnxruntime-node';
import { transposeMatrix } from '../src/exact-index';
import { writeOnnxModel, type OnnxNode } from '../src/write-onnx-model';

const passages = Number(process.env.BENCH_PASSAGES ?? 100_000);
const dimension = 384;
const k = 10;

let state = 12345;
const uniform = (): number => {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648 - 0.5;
};
const corpus = Float32Array.from({ length: passages * dimension }, uniform);
const corpusColumns = transposeMatrix(corpus, passages, dimension);

type Layout = 'matmul-transposed' | 'gemm-transB';
function graph(layout: Layout, topK: boolean): Uint8Array {
  const nodes: OnnxNode[] = [
    layout === 'gemm-transB'
      ? { opType: 'Gemm', inputs: ['queries', 'corpus'], outputs: ['scores'], attributes: [{ name: 'transB', int: 1 }] }
      : { opType: 'MatMul', inputs: ['queries', 'corpus'], outputs: ['scores'] },
  ];
  if (topK)
    nodes.push({
      opType: 'TopK',
      inputs: ['scores', 'k'],
      outputs: ['values', 'indices'],
      attributes: [{ name: 'axis', int: -1 }],
    });
  return writeOnnxModel({
    opset: 17,
    graphName: 'variant',
    nodes,
    inputs: [
      { name: 'queries', elementType: 'float32', shape: ['queries', dimension] },
      {
        name: 'corpus',
        elementType: 'float32',
        shape: layout === 'gemm-transB' ? ['passages', dimension] : [dimension, 'passages'],
      },
      ...(topK ? [{ name: 'k', elementType: 'int64' as const, shape: [1] }] : []),
    ],
    outputs: topK
      ? [
          { name: 'values', elementType: 'float32', shape: ['queries', 'k'] },
          { name: 'indices', elementType: 'int64', shape: ['queries', 'k'] },
        ]
      : [{ name: 'scores', elementType: 'float32', shape: ['queries', 'passages'] }],
  });
}

/** Top-k of each row of a score matrix by insertion into a sorted buffer. */
function javascriptTopK(scores: Float32Array, rows: number, columns: number): Int32Array {
  const result = new Int32Array(rows * k);
  const best = new Float32Array(k);
  const indices = new Int32Array(k);
  for (let row = 0; row < rows; row += 1) {
    best.fill(-Infinity);
    indices.fill(-1);
    const base = row * columns;
    for (let column = 0; column < columns; column += 1) {
      const score = scores[base + column]!;
      if (score <= best[k - 1]!) continue;
      let position = k - 1;
      while (position > 0 && best[position - 1]! < score) {
        best[position] = best[position - 1]!;
        indices[position] = indices[position - 1]!;
        position -= 1;
      }
      best[position] = score;
      indices[position] = column;
    }
    result.set(indices, row * k);
  }
  return result;
}

console.log(
  `exact-search graph variants: ${passages} × ${dimension}, k = ${k}, onnxruntime-node ${ort.env.versions.common} CPU`,
);
const rows: string[] = [];
for (const layout of ['matmul-transposed', 'gemm-transB'] as const) {
  for (const topK of [true, false]) {
    const session = await ort.InferenceSession.create(graph(layout, topK), { graphOptimizationLevel: 'all' });
    const corpusTensor =
      layout === 'gemm-transB'
        ? new ort.Tensor('float32', corpus, [passages, dimension])
        : new ort.Tensor('float32', corpusColumns, [dimension, passages]);
    const timings: string[] = [];
    for (const batch of [256, 1]) {
      const queries = Float32Array.from({ length: batch * dimension }, uniform);
      const feeds: Record<string, ort.Tensor> = {
        queries: new ort.Tensor('float32', queries, [batch, dimension]),
        corpus: corpusTensor,
      };
      if (topK) feeds.k = new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]);
      const runOnce = async () => {
        const outputs = await session.run(feeds);
        if (!topK) javascriptTopK(outputs.scores!.data as Float32Array, batch, passages);
      };
      await runOnce();
      const repetitions = batch === 1 ? 20 : 3;
      const samples: number[] = [];
      for (let repetition = 0; repetition < repetitions; repetition += 1) {
        const begin = performance.now();
        await runOnce();
        samples.push(performance.now() - begin);
      }
      samples.sort((left, right) => left - right);
      const median = samples[samples.length >> 1]!;
      timings.push(
        batch === 1 ? `single query p50 ${median.toFixed(2)} ms` : `batch 256: ${(median / batch).toFixed(3)} ms/query`,
      );
    }
    rows.push(`  ${layout.padEnd(18)} ${topK ? 'TopK in graph  ' : 'JS top-k       '} ${timings.join(', ')}`);
    console.log(rows.at(-1));
    await session.release();
  }
}
