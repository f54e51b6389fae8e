import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor } from '../index.js';
import { checkGradients, createRandom, numbers, randomTensor, runGraph } from '../../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences.
const random = createRandom(23);

describe('MatMul', () => {
  const cases: [string, number[], number[], (string | number)[]][] = [
    ['2-d', [3, 4], [4, 2], [3, 2]],
    ['batched', [2, 3, 4], [2, 4, 2], [2, 3, 2]],
    ['broadcast right operand over the batch', [2, 3, 4], [4, 5], [2, 3, 5]],
    ['broadcast batch dims both ways', [2, 1, 2, 3], [3, 3, 2], [2, 3, 2, 2]],
    ['1-d left', [3], [2, 3, 4], [2, 4]],
    ['1-d right', [2, 3, 4], [4], [2, 3]],
    ['1-d both', [4], [4], []],
  ];
  for (const [label, left, right, expected] of cases) {
    it(`${label}: ${JSON.stringify(left)} @ ${JSON.stringify(right)} -> ${JSON.stringify(expected)}`, async () => {
      const graph = new GraphBuilder();
      const a = graph.input('a', 'float64', left);
      const b = graph.input('b', 'float64', right);
      const y = graph.matMul(a, b);
      expect(y.shape).toEqual(expected);
      graph.output(y, 'y');
      await checkGradients({
        graph,
        feeds: { a: randomTensor(random, 'float64', left), b: randomTensor(random, 'float64', right) },
        wrt: ['a', 'b'],
      });
    });
  }

  it('computes a worked product', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [2, 2]);
    const b = graph.input('b', 'float64', [2, 1]);
    graph.output(graph.matMul(a, b), 'y');
    const outputs = await runGraph(graph, {
      a: tensor('float64', [2, 2], [1, 2, 3, 4]),
      b: tensor('float64', [2, 1], [5, 6]),
    });
    expect(numbers(outputs.y)).toEqual([17, 39]);
  });

  it('keeps symbolic batch dims', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', ['batch', 'seq', 8]);
    const w = graph.input('w', 'float32', [8, 16]);
    expect(graph.matMul(x, w).shape).toEqual(['batch', 'seq', 16]);
  });

  it('names both shapes when the inner dims differ', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', ['batch', 3, 4]);
    const b = graph.input('b', 'float32', [5, 2]);
    expect(() => graph.matMul(a, b)).toThrow('MatMul: inner dims differ: 4 and 5 (shapes [batch, 3, 4] and [5, 2])');
  });

  it('rejects two different symbols as inner dims', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [3, 'n']);
    const b = graph.input('b', 'float32', ['m', 2]);
    expect(() => graph.matMul(a, b)).toThrow('MatMul: inner dims differ: n and m (shapes [3, n] and [m, 2])');
  });
});
