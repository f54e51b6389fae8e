import { describe, expect, it } from 'vitest';
import { GraphBuilder, gradients, tensor } from '../index.js';
import {
  checkGradients,
  createRandom,
  liveOpTypes,
  numbers,
  randomIndices,
  randomTensor,
  runGraph,
} from '../../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences.
const random = createRandom(53);

describe('Gather', () => {
  it('embedding lookup: the gradient scatter-adds rows, repeated ids accumulate', async () => {
    const graph = new GraphBuilder();
    const table = graph.input('table', 'float64', [5, 3]);
    const ids = graph.input('ids', 'int64', [2, 3]);
    const rows = graph.gather(table, ids);
    expect(rows.shape).toEqual([2, 3, 3]);
    graph.output(rows, 'rows');
    const feeds = { table: randomTensor(random, 'float64', [5, 3]), ids: tensor('int64', [2, 3], [4, 1, 4, 0, 4, 1]) };
    await checkGradients({ graph, feeds, wrt: ['table'] });
    const derived = gradients(graph, { outputs: ['rows'], wrt: ['table'] });
    const outputs = await runGraph(derived.graph, {
      ...feeds,
      grad_rows: tensor(
        'float64',
        [2, 3, 3],
        Array.from({ length: 18 }, () => 1),
      ),
    });
    // row 4 is used three times, row 1 twice, row 0 once, rows 2 and 3 never
    expect(numbers(outputs.grad_table)).toEqual([1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 3, 3, 3]);
  });

  it('never builds a one-hot matrix: the gradient graph scatters', () => {
    const graph = new GraphBuilder();
    const table = graph.input('table', 'float32', [1000, 8]);
    const ids = graph.input('ids', 'int64', ['batch', 'seq']);
    graph.output(graph.gather(table, ids), 'rows');
    const ops = liveOpTypes(gradients(graph, { outputs: ['rows'], wrt: ['table'] }).graph);
    expect(ops).toContain('ScatterND');
    expect(ops).not.toContain('OneHot');
    expect(ops).not.toContain('MatMul');
  });

  it('along axis 1 with int32 indices', async () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float64', [2, 4, 3]);
    const indices = graph.input('indices', 'int32', [3]);
    const y = graph.gather(data, indices, 1);
    expect(y.shape).toEqual([2, 3, 3]);
    graph.output(y, 'y');
    await checkGradients({
      graph,
      feeds: { data: randomTensor(random, 'float64', [2, 4, 3]), indices: tensor('int32', [3], [3, 0, 3]) },
      wrt: ['data'],
    });
  });

  it('along the last axis with 2-d indices', async () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float64', [2, 5]);
    const indices = graph.input('indices', 'int64', [2, 2]);
    const y = graph.gather(data, indices, -1);
    expect(y.shape).toEqual([2, 2, 2]);
    graph.output(y, 'y');
    await checkGradients({
      graph,
      feeds: { data: randomTensor(random, 'float64', [2, 5]), indices: randomIndices(random, [2, 2], 5) },
      wrt: ['data'],
    });
  });

  it('a scalar index drops the axis', async () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float64', [3, 4]);
    const y = graph.gather(data, graph.constant(tensor('int64', [], [2])), 0);
    expect(y.shape).toEqual([4]);
    graph.output(y, 'y');
    await checkGradients({ graph, feeds: { data: randomTensor(random, 'float64', [3, 4]) }, wrt: ['data'] });
  });

  it('rejects float indices', () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float32', [3, 4]);
    const indices = graph.input('indices', 'float32', [2]);
    expect(() => graph.gather(data, indices)).toThrow(
      'Gather: indices must be int64 or int32, got float32 (shapes [3, 4] and [2])',
    );
  });
});

describe('GatherElements (token logprobs) and GatherND', () => {
  it('picks one logprob per position and scatters the gradient back', async () => {
    const graph = new GraphBuilder();
    const logits = graph.input('logits', 'float64', [2, 3, 5]);
    const targets = graph.input('targets', 'int64', [2, 3, 1]);
    const picked = graph.gatherElements(graph.logSoftmax(logits), targets, -1);
    expect(picked.shape).toEqual([2, 3, 1]);
    graph.output(picked, 'logprobs');
    await checkGradients({
      graph,
      feeds: { logits: randomTensor(random, 'float64', [2, 3, 5]), targets: randomIndices(random, [2, 3, 1], 5) },
      wrt: ['logits'],
    });
  });

  it('gatherNd forward and gradient', async () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float64', [3, 4]);
    const y = graph.gatherNd(data, graph.constant(tensor('int64', [3, 2], [0, 1, 2, 3, 0, 1])));
    expect(y.shape).toEqual([3]);
    graph.output(y, 'y');
    const feeds = { data: randomTensor(random, 'float64', [3, 4]) };
    const outputs = await runGraph(graph, feeds);
    const data64 = feeds.data.data as Float64Array;
    expect(numbers(outputs.y)).toEqual([data64[1], data64[11], data64[1]]);
    await checkGradients({ graph, feeds, wrt: ['data'] });
  });
});

describe('ScatterND / ScatterElements', () => {
  for (const reduction of ['none', 'add'] as const) {
    it(`scatterNd (${reduction}): gradients for data and updates`, async () => {
      const graph = new GraphBuilder();
      const data = graph.input('data', 'float64', [4, 2]);
      const updates = graph.input('updates', 'float64', [2, 2]);
      graph.output(graph.scatterNd(data, graph.constant(tensor('int64', [2, 1], [3, 1])), updates, { reduction }), 'y');
      await checkGradients({
        graph,
        feeds: { data: randomTensor(random, 'float64', [4, 2]), updates: randomTensor(random, 'float64', [2, 2]) },
        wrt: ['data', 'updates'],
      });
    });

    it(`scatterElements (${reduction}): gradients for data and updates`, async () => {
      const graph = new GraphBuilder();
      const data = graph.input('data', 'float64', [2, 4]);
      const updates = graph.input('updates', 'float64', [2, 2]);
      graph.output(
        graph.scatterElements(data, graph.constant(tensor('int64', [2, 2], [0, 3, 2, 1])), updates, {
          axis: 1,
          reduction,
        }),
        'y',
      );
      await checkGradients({
        graph,
        feeds: { data: randomTensor(random, 'float64', [2, 4]), updates: randomTensor(random, 'float64', [2, 2]) },
        wrt: ['data', 'updates'],
      });
    });
  }

  it('checks the updates shape', () => {
    const graph = new GraphBuilder();
    const data = graph.input('data', 'float32', [4, 2]);
    const indices = graph.input('indices', 'int64', [3, 1]);
    const updates = graph.input('updates', 'float32', [2, 2]);
    expect(() => graph.scatterNd(data, indices, updates)).toThrow(
      'ScatterND: updates must have shape [3, 2] (shapes [4, 2] and [3, 1] and [2, 2])',
    );
  });
});
