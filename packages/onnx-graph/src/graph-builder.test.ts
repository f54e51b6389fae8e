import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphBuildError, tensor } from './index.js';
import type { Value } from './index.js';
import { numbers, runGraph } from '../test/onnxruntime-harness.js';

describe('GraphBuilder', () => {
  it('gives every op output a dtype and a shape', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', ['batch', 'seq', 8]);
    const w = graph.initializer('w', tensor('float32', [8, 4], new Float32Array(32)));
    const y = graph.softmax(graph.matMul(x, w));
    expect(y).toEqual({ name: y.name, dtype: 'float32', shape: ['batch', 'seq', 4] });
    expect(graph.less(y, 0.5).dtype).toBe('bool');
    expect(graph.cast(y, 'float16').dtype).toBe('float16');
    expect(graph.shape(y)).toMatchObject({ dtype: 'int64', shape: [3] });
  });

  it('rejects duplicate names, empty names and bad dims', () => {
    const graph = new GraphBuilder();
    graph.input('x', 'float32', [2]);
    expect(() => graph.input('x', 'float32', [2])).toThrow('input: the name "x" is already used (shapes [2])');
    expect(() => graph.initializer('x', tensor('float32', [1], [0]))).toThrow(
      'initializer: the name "x" is already used',
    );
    expect(() => graph.input('', 'float32', [2])).toThrow('input: a value name must not be empty');
    expect(() => graph.input('y', 'float32', [-1])).toThrow('input: invalid dim -1 in [-1]');
    expect(() => graph.input('z', 'float32', [''])).toThrow('input: invalid dim  in []');
  });

  it('rejects a value from another graph', () => {
    const first = new GraphBuilder();
    const second = new GraphBuilder();
    const x = first.input('x', 'float32', [2]);
    expect(() => second.neg(x)).toThrow('Neg: value "x" does not belong to this graph (shapes [2])');
  });

  it('outputs under a new name go through Identity; the same output twice is refused', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2]);
    const y = graph.output(graph.mul(x, 3), 'tripled');
    expect(y.name).toBe('tripled');
    graph.output(x, 'copy');
    expect(() => graph.output(y)).toThrow('output: "tripled" is already an output');
    expect(() => graph.output(x, 'x')).not.toThrow();
    const outputs = await runGraph(graph, { x: tensor('float64', [2], [1, 2]) });
    expect(numbers(outputs.tripled)).toEqual([3, 6]);
    expect(numbers(outputs.copy)).toEqual([1, 2]);
  });

  it('assumeShape renames dims but not static sizes or the rank', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', ['a', 3]);
    const y = graph.input('y', 'float32', ['b', 3]);
    expect(() => graph.add(x, y)).toThrow('Add: cannot broadcast dim a with b at axis -2');
    const same = graph.assumeShape(y, ['a', 3]);
    expect(graph.add(x, same).shape).toEqual(['a', 3]);
    expect(() => graph.assumeShape(x, ['a', 4])).toThrow('assumeShape: dim 1 is 3, not 4 (shapes [a, 3] and [a, 4])');
    expect(() => graph.assumeShape(x, ['a'])).toThrow('assumeShape: rank 1 differs from rank 2');
  });

  it('shares small constants', () => {
    const graph = new GraphBuilder();
    expect(graph.scalar(2, 'float64')).toBe(graph.scalar(2, 'float64'));
    expect(graph.scalar(2, 'float64')).not.toBe(graph.scalar(2, 'float32'));
    expect(graph.int64s([0, 1])).toBe(graph.int64s([0, 1]));
  });

  it('a clone is independent and accepts the original handles', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2]);
    graph.output(graph.neg(x), 'y');
    const copy = graph.clone({ keepOutputs: false });
    copy.output(copy.exp(x), 'z');
    expect(graph.outputs.map((output: Value) => output.name)).toEqual(['y']);
    expect(copy.outputs.map((output: Value) => output.name)).toEqual(['z']);
    expect(graph.nodes.length).toBeLessThan(copy.nodes.length);
  });

  it('emit adds any ONNX op (here Erf, float32: the CPU provider has no double Erf) that the builder has no method for', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2]);
    const [y] = graph.emit('Erf', [x], [{ dtype: 'float32', shape: [2] }]) as [Value];
    graph.output(y, 'y');
    const outputs = await runGraph(graph, { x: tensor('float32', [2], [0, 10]) });
    expect(numbers(outputs.y)).toEqual([0, 1]);
  });

  it('errors carry the research-ts error marker, op and shapes', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [4, 5]);
    try {
      graph.matMul(a, b);
      expect.fail('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(GraphBuildError);
      expect((error as Record<symbol, unknown>)[Symbol.for('research-ts.error')]).toBe(true);
      expect((error as GraphBuildError).op).toBe('MatMul');
      expect((error as GraphBuildError).shapes).toEqual([
        [2, 3],
        [4, 5],
      ]);
      expect((error as GraphBuildError).name).toBe('GraphBuildError');
    }
  });
});
