import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphBuildError, tensor } from '../index.js';
import type { Value } from '../index.js';
import { checkGradients, createRandom, numbers, randomTensor, runGraph } from '../../test/onnxruntime-harness.js';

// Every check runs in float64 on onnxruntime's CPU provider (all these ops have double kernels in 1.30)
// against central differences: atol 1e-6, rtol 1e-5.

const random = createRandom(11);

async function checkBinary(op: 'add' | 'sub' | 'mul' | 'div', leftShape: number[], rightShape: number[]) {
  const graph = new GraphBuilder();
  const a = graph.input('a', 'float64', leftShape);
  const b = graph.input('b', 'float64', rightShape);
  graph.output(graph[op](a, b), 'y');
  const feeds = {
    a: randomTensor(random, 'float64', leftShape),
    // divisors kept away from zero
    b:
      op === 'div'
        ? randomTensor(random, 'float64', rightShape, { min: 0.5, max: 1.5 })
        : randomTensor(random, 'float64', rightShape),
  };
  await checkGradients({ graph, feeds, wrt: ['a', 'b'] });
}

describe('binary ops with broadcasting', () => {
  const cases: [string, number[], number[]][] = [
    ['same shape', [2, 3], [2, 3]],
    ['row vector', [2, 3], [3]],
    ['column and leading axis', [4, 1, 3], [2, 1]],
    ['scalar', [], [2, 2]],
  ];
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    for (const [label, left, right] of cases) {
      it(`${op}: ${label} ${JSON.stringify(left)} x ${JSON.stringify(right)}`, async () => {
        await checkBinary(op, left, right);
      });
    }
  }

  it('sums a broadcast operand back to its shape: d(a + b)/db for b [3] over a [2, 3] is 2 per element', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [2, 3]);
    const b = graph.input('b', 'float64', [3]);
    graph.output(graph.reduceSum(graph.add(a, b), undefined, { keepDims: false }), 'total');
    const result = await checkGradients({
      graph,
      feeds: { a: randomTensor(random, 'float64', [2, 3]), b: randomTensor(random, 'float64', [3]) },
      wrt: ['b'],
    });
    const upstream = createRandom(7)(); // the harness draws the one upstream value from seed 7
    expect(result.analytic.b).toHaveLength(3);
    for (const value of result.analytic.b ?? []) expect(value).toBeCloseTo(2 * (-1 + 2 * upstream), 12);
  });

  it('lifts number operands to constants of the other dtype', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3]);
    graph.output(graph.sub(1, graph.mul(x, 2)), 'y');
    const outputs = await runGraph(graph, { x: tensor('float64', [3], [0, 0.25, 1]) });
    expect(numbers(outputs.y)).toEqual([1, 0.5, -1]);
  });

  it('rejects operands of different dtypes, naming the op and both shapes', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [2]);
    const b = graph.input('b', 'float64', [2]);
    expect(() => graph.add(a, b)).toThrow('Add: operand dtypes differ: float32 and float64 (shapes [2] and [2])');
  });

  it('rejects shapes that do not broadcast', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [4]);
    let caught: unknown;
    try {
      graph.mul(a, b);
    } catch (error) {
      caught = error;
    }
    expect(GraphBuildError.isInstance(caught)).toBe(true);
    const error = caught as GraphBuildError;
    expect(error.op).toBe('Mul');
    expect(error.shapes).toEqual([[2, 3], [4]]);
    expect(error.message).toBe('Mul: cannot broadcast dim 3 with 4 at axis -1 (shapes [2, 3] and [4])');
  });
});

describe('unary ops', () => {
  const cases: [string, (graph: GraphBuilder, x: Value) => Value, { min: number; max: number }][] = [
    ['neg', (graph, x) => graph.neg(x), { min: -1, max: 1 }],
    ['pow 3', (graph, x) => graph.pow(x, 3), { min: -1, max: 1 }],
    ['pow 2', (graph, x) => graph.pow(x, 2), { min: -1, max: 1 }],
    ['pow -0.5', (graph, x) => graph.pow(x, -0.5), { min: 0.5, max: 2 }],
    ['sqrt', (graph, x) => graph.sqrt(x), { min: 0.3, max: 2 }],
    ['reciprocal', (graph, x) => graph.reciprocal(x), { min: 0.5, max: 2 }],
    ['exp', (graph, x) => graph.exp(x), { min: -1, max: 1 }],
    ['log', (graph, x) => graph.log(x), { min: 0.3, max: 2 }],
    ['sigmoid', (graph, x) => graph.sigmoid(x), { min: -3, max: 3 }],
    ['tanh', (graph, x) => graph.tanh(x), { min: -2, max: 2 }],
    ['identity', (graph, x) => graph.identity(x), { min: -1, max: 1 }],
  ];
  for (const [label, build, range] of cases) {
    it(`${label} matches finite differences`, async () => {
      const graph = new GraphBuilder();
      const x = graph.input('x', 'float64', [2, 3]);
      graph.output(build(graph, x), 'y');
      await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3], range) }, wrt: ['x'] });
    });
  }

  it('rejects transcendental ops on integers', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'int64', [2]);
    expect(() => graph.exp(x)).toThrow('Exp: dtype int64 is not floating point (shapes [2])');
  });
});

describe('cast, where and comparisons', () => {
  it('cast float32 -> float64 passes the gradient back as float32 (float32 input: atol 1e-3, rtol 1e-2)', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [4]);
    graph.output(graph.tanh(graph.cast(x, 'float64')), 'y');
    const result = await checkGradients({ graph, feeds: { x: randomTensor(random, 'float32', [4]) }, wrt: ['x'] });
    expect(result.gradientGraph.value('grad_x').dtype).toBe('float32');
  });

  it('where routes the gradient by the condition and broadcasts', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [2, 3]);
    const b = graph.input('b', 'float64', [3]);
    const condition = graph.greater(a, graph.scalar(0, 'float64'));
    graph.output(graph.where(condition, graph.mul(a, a), b), 'y');
    const feeds = {
      a: tensor('float64', [2, 3], [0.5, -0.5, 0.25, -0.75, 0.9, -0.1]),
      b: randomTensor(random, 'float64', [3]),
    };
    await checkGradients({ graph, feeds, wrt: ['a', 'b'] });
  });

  it('comparisons give bool values and no gradient', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [3]);
    const b = graph.input('b', 'float64', [3]);
    graph.output(graph.equal(a, b), 'eq');
    graph.output(graph.less(a, b), 'lt');
    graph.output(graph.greater(a, b), 'gt');
    const outputs = await runGraph(graph, {
      a: tensor('float64', [3], [1, 2, 3]),
      b: tensor('float64', [3], [1, 3, 2]),
    });
    expect(numbers(outputs.eq)).toEqual([1, 0, 0]);
    expect(numbers(outputs.lt)).toEqual([0, 1, 0]);
    expect(numbers(outputs.gt)).toEqual([0, 0, 1]);
    expect(graph.value('eq').dtype).toBe('bool');
  });

  it('where needs a bool condition', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [3]);
    expect(() => graph.where(a, a, 0)).toThrow('Where: the condition must be bool, got float64 (shapes [3])');
  });
});
