import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor } from '../index.js';
import {
  checkGradients,
  createRandom,
  createSession,
  numbers,
  randomTensor,
  runGraph,
  runSession,
} from '../../test/onnxruntime-harness.js';

const random = createRandom(83);

describe('shape helpers', () => {
  it('shape, size, range and constantOfShape compute worked values', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', ['batch', 3]);
    const shape = graph.shape(x);
    expect(graph.knownContent(shape)).toEqual(['batch', 3]);
    const size = graph.size(x);
    expect(graph.knownContent(size)).toEqual(['3*batch']);
    const positions = graph.range(0, graph.gather(shape, graph.constant(tensor('int64', [], [0]))));
    expect(positions.shape).toEqual(['batch']);
    const ones = graph.constantOfShape(shape, 1.5, 'float64');
    expect(ones.shape).toEqual(['batch', 3]);
    graph.output(shape, 'shape');
    graph.output(size, 'size');
    graph.output(positions, 'positions');
    graph.output(ones, 'ones');
    const outputs = await runGraph(graph, {
      x: tensor(
        'float32',
        [4, 3],
        Array.from({ length: 12 }, () => 0),
      ),
    });
    expect(numbers(outputs.shape)).toEqual([4, 3]);
    expect(numbers(outputs.size)).toEqual([12]);
    expect(numbers(outputs.positions)).toEqual([0, 1, 2, 3]);
    expect(numbers(outputs.ones)).toEqual(Array.from({ length: 12 }, () => 1.5));
  });

  it('range with static operands has a static length', () => {
    const graph = new GraphBuilder();
    expect(graph.range(2, 9, 3).shape).toEqual([3]);
    expect(graph.range(0, 1, 0.25, { dtype: 'float32' }).shape).toEqual([4]);
  });

  it('builds a causal mask two ways (trilu and range comparison) that agree for two lengths', async () => {
    const graph = new GraphBuilder();
    const scores = graph.input('scores', 'float32', ['seq', 'seq']);
    const ones = graph.constantOfShape(graph.shape(scores), 1, 'float32');
    const lower = graph.trilu(ones, { upper: false });
    const byTrilu = graph.where(graph.equal(lower, 1), scores, -Infinity);
    const length = graph.gather(graph.shape(scores), graph.constant(tensor('int64', [], [0])));
    const positions = graph.range(0, length);
    const future = graph.greater(graph.unsqueeze(positions, [0]), graph.unsqueeze(positions, [1]));
    expect(future.shape).toEqual(['seq', 'seq']);
    const byRange = graph.where(future, -Infinity, scores);
    graph.output(byTrilu, 'byTrilu');
    graph.output(byRange, 'byRange');
    const session = await createSession(graph);
    for (const seq of [3, 4]) {
      const outputs = await runSession(session, {
        scores: tensor(
          'float32',
          [seq, seq],
          Array.from({ length: seq * seq }, (_, index) => index),
        ),
      });
      const expected = Array.from({ length: seq * seq }, (_, index) =>
        index % seq <= Math.floor(index / seq) ? index : -Infinity,
      );
      expect(numbers(outputs.byTrilu)).toEqual(expected);
      expect(numbers(outputs.byRange)).toEqual(expected);
    }
  });

  it('trilu passes the gradient through the kept triangle', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 3, 3]);
    graph.output(graph.trilu(x, { upper: true, k: 1 }), 'upper');
    graph.output(graph.trilu(graph.mul(x, x), { upper: false }), 'lower');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3, 3]) }, wrt: ['x'] });
  });

  it('constantOfShape needs a 1-d int64 shape', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2]);
    expect(() => graph.constantOfShape(x)).toThrow(
      'ConstantOfShape: the shape must be a 1-d int64 value of static length, got float32 [2] (shapes [2])',
    );
  });
});
