import { describe, expect, it } from 'vitest';
import { GraphBuilder, gradients, tensor } from '../index.js';
import type { Dim } from '../index.js';
import {
  checkGradients,
  createRandom,
  createSession,
  numbers,
  randomTensor,
  runGraph,
  runSession,
} from '../../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences.
const random = createRandom(61);

describe('Reshape shape inference', () => {
  const cases: [Dim[], number[], Dim[]][] = [
    [
      [2, 3, 4],
      [6, 4],
      [6, 4],
    ],
    [
      [2, 3, 4],
      [0, -1],
      [2, 12],
    ],
    [[2, 3, 4], [-1], [24]],
    [
      ['batch', 'seq', 8],
      [0, 0, 2, 4],
      ['batch', 'seq', 2, 4],
    ],
    [
      ['batch', 'seq', 8],
      [-1, 8],
      ['batch*seq', 8],
    ],
    [
      ['batch', 'seq', 8],
      [0, -1],
      ['batch', '8*seq'],
    ],
    [
      ['batch*seq', 8],
      [-1, 4],
      ['2*batch*seq', 4],
    ],
  ];
  for (const [input, target, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(target)} gives ${JSON.stringify(expected)}`, () => {
      const graph = new GraphBuilder();
      const x = graph.input('x', 'float32', input);
      expect(graph.reshape(x, target).shape).toEqual(expected);
    });
  }

  it('follows a tracked shape value back to symbolic dims', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', ['batch', 'seq', 8]);
    const flat = graph.reshape(x, [-1, 8]);
    expect(graph.reshape(flat, graph.shape(x)).shape).toEqual(['batch', 'seq', 8]);
    const headShape = graph.concat([graph.slice(graph.shape(x), { starts: [0], ends: [2] }), graph.int64s([2, 4])], 0);
    expect(graph.reshape(x, headShape).shape).toEqual(['batch', 'seq', 2, 4]);
  });

  it('rejects a static element-count mismatch and a second -1', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2, 3]);
    expect(() => graph.reshape(x, [4, 2])).toThrow(
      'Reshape: cannot reshape the elements of [2, 3] to [4, 2] (shapes [2, 3] and [4, 2])',
    );
    expect(() => graph.reshape(x, [-1, -1])).toThrow(
      'Reshape: more than one -1 in the target shape (shapes [2, 3] and [-1, -1])',
    );
    expect(() => graph.reshape(x, [-1, 4])).toThrow('Reshape: cannot infer -1: 6 elements do not divide by 4');
  });
});

describe('layout ops: values and gradients', () => {
  it('reshape', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 3, 2]);
    graph.output(graph.tanh(graph.reshape(x, [3, -1])), 'y');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3, 2]) }, wrt: ['x'] });
  });

  it('transpose with a perm and reversed', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 3, 4]);
    const permuted = graph.transpose(x, [1, 2, 0]);
    const reversed = graph.transpose(x);
    expect(permuted.shape).toEqual([3, 4, 2]);
    expect(reversed.shape).toEqual([4, 3, 2]);
    graph.output(permuted, 'permuted');
    graph.output(graph.mul(reversed, reversed), 'squared');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3, 4]) }, wrt: ['x'] });
  });

  it('unsqueeze and squeeze', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3, 2]);
    const expanded = graph.unsqueeze(x, [0, -1]);
    expect(expanded.shape).toEqual([1, 3, 2, 1]);
    const squeezed = graph.squeeze(graph.mul(expanded, expanded), [3]);
    expect(squeezed.shape).toEqual([1, 3, 2]);
    expect(graph.squeeze(expanded).shape).toEqual([3, 2]);
    graph.output(squeezed, 'y');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [3, 2]) }, wrt: ['x'] });
  });

  it('squeeze rejects a static non-1 axis', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [3, 1]);
    expect(() => graph.squeeze(x, [0])).toThrow('Squeeze: axis 0 has size 3, not 1 (shapes [3, 1])');
  });

  it('expand: the gradient sums over the broadcast axes', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3, 1]);
    const y = graph.expand(x, [2, 3, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
    graph.output(y, 'y');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [3, 1]) }, wrt: ['x'] });
    const derived = gradients(graph, { outputs: ['y'], wrt: ['x'] });
    const outputs = await runGraph(derived.graph, {
      x: randomTensor(random, 'float64', [3, 1]),
      grad_y: tensor(
        'float64',
        [2, 3, 4],
        Array.from({ length: 24 }, () => 1),
      ),
    });
    expect(numbers(outputs.grad_x)).toEqual([8, 8, 8]);
  });

  it('expand to the shape of a symbolic value, run with two batch sizes', async () => {
    const graph = new GraphBuilder();
    const bias = graph.input('bias', 'float64', [1, 3]);
    const like = graph.input('like', 'float64', ['batch', 3]);
    const y = graph.expand(bias, graph.shape(like));
    expect(y.shape).toEqual(['batch', 3]);
    graph.output(graph.mul(y, like), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['bias'] });
    const session = await createSession(derived.graph);
    for (const batch of [1, 4]) {
      const outputs = await runSession(session, {
        bias: tensor('float64', [1, 3], [1, 2, 3]),
        like: tensor(
          'float64',
          [batch, 3],
          Array.from({ length: 3 * batch }, () => 2),
        ),
        grad_y: tensor(
          'float64',
          [batch, 3],
          Array.from({ length: 3 * batch }, () => 1),
        ),
      });
      expect(numbers(outputs.grad_bias)).toEqual([2 * batch, 2 * batch, 2 * batch]);
    }
  });
});
