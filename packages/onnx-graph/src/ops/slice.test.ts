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
const random = createRandom(71);

describe('Slice', () => {
  const cases: [string, { starts: number[]; ends: number[]; axes?: number[]; steps?: number[] }, Dim[]][] = [
    ['a middle block', { starts: [1, 1], ends: [3, 3] }, [2, 2, 5]],
    ['negative start to the end', { starts: [-2], ends: [Infinity], axes: [2] }, [4, 3, 2]],
    ['all but the last', { starts: [0], ends: [-1], axes: [1] }, [4, 2, 5]],
    ['ends past the dim are clamped', { starts: [2], ends: [100], axes: [0] }, [2, 3, 5]],
    ['empty slice', { starts: [3], ends: [1], axes: [0] }, [0, 3, 5]],
  ];
  for (const [label, spec, shape] of cases) {
    it(`${label} -> ${JSON.stringify(shape)}`, async () => {
      const graph = new GraphBuilder();
      const x = graph.input('x', 'float64', [4, 3, 5]);
      const y = graph.slice(x, spec);
      expect(y.shape).toEqual(shape);
      graph.output(y, 'y');
      await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [4, 3, 5]) }, wrt: ['x'] });
    });
  }

  it('steps other than 1 run forward; the gradient asks for step 1', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [6]);
    const everyOther = graph.slice(x, { starts: [0], ends: [Infinity], steps: [2] });
    const reversed = graph.slice(x, { starts: [-1], ends: [-Infinity], steps: [-1] });
    expect(everyOther.shape).toEqual([3]);
    expect(reversed.shape).toEqual([6]);
    graph.output(everyOther, 'even');
    graph.output(reversed, 'reversed');
    const outputs = await runGraph(graph, { x: tensor('float64', [6], [0, 1, 2, 3, 4, 5]) });
    expect(numbers(outputs.even)).toEqual([0, 2, 4]);
    expect(numbers(outputs.reversed)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(() => gradients(graph, { outputs: ['even'], wrt: ['x'] })).toThrow(
      'Slice: the gradient supports step 1 only (shapes [6])',
    );
  });

  it('symbolic dims: next-token shift [:, :-1] and [:, 1:] with pads computed at run time', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 'seq']);
    const head = graph.slice(x, { starts: [0], ends: [-1], axes: [1] });
    const tail = graph.slice(x, { starts: [1], ends: [Infinity], axes: [1] });
    expect(head.shape).toEqual([2, 'seq-1']);
    expect(tail.shape).toEqual([2, 'seq-1']);
    graph.output(graph.mul(head, tail), 'y');
    for (const seq of [3, 5]) {
      await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, seq]) }, wrt: ['x'] });
    }
  });

  it('symbolic dims: negative start and bounded end', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', ['n', 2]);
    const last = graph.slice(x, { starts: [-2], ends: [Infinity], axes: [0] });
    const first = graph.slice(x, { starts: [0], ends: [2], axes: [0] });
    expect(last.shape).toEqual([2, 2]);
    expect(first.shape).toEqual([2, 2]);
    graph.output(graph.mul(last, first), 'y');
    for (const n of [2, 4])
      await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [n, 2]) }, wrt: ['x'] });
  });
});

describe('Concat / Split / Pad', () => {
  it('concat of three along axis 1, shapes and gradient', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', [2, 1]);
    const b = graph.input('b', 'float64', [2, 3]);
    const c = graph.input('c', 'float64', [2, 2]);
    const y = graph.concat([a, b, c], 1);
    expect(y.shape).toEqual([2, 6]);
    graph.output(graph.mul(y, y), 'y');
    await checkGradients({
      graph,
      feeds: {
        a: randomTensor(random, 'float64', [2, 1]),
        b: randomTensor(random, 'float64', [2, 3]),
        c: randomTensor(random, 'float64', [2, 2]),
      },
      wrt: ['a', 'b', 'c'],
    });
  });

  it('concat along a symbolic axis: split sizes come from the run-time shapes', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float64', ['n', 2]);
    const b = graph.input('b', 'float64', [1, 2]);
    const y = graph.concat([a, b], 0);
    expect(y.shape).toEqual(['n+1', 2]);
    graph.output(graph.tanh(y), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['a', 'b'] });
    expect(derived.graph.value('grad_a').shape).toEqual(['n', 2]);
    for (const n of [1, 3]) {
      await checkGradients({
        graph,
        feeds: { a: randomTensor(random, 'float64', [n, 2]), b: randomTensor(random, 'float64', [1, 2]) },
        wrt: ['a', 'b'],
      });
    }
  });

  it('concat rejects mismatched dims off the axis', () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [4, 3]);
    expect(() => graph.concat([a, b], 1)).toThrow('Concat: dim 0 differs: 2 and 4 (shapes [2, 3] and [4, 3])');
  });

  it('split: a part without gradient contributes zeros', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 5]);
    const [left, middle, right] = graph.split(x, [1, 3, 1], 1) as [never, never, never];
    expect((middle as { shape: Dim[] }).shape).toEqual([2, 3]);
    graph.output(graph.mul(left, right), 'y');
    graph.output(graph.exp(left), 'z');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 5]) }, wrt: ['x'] });
    expect(() => graph.split(x, [2, 2], 1)).toThrow('Split: sizes [2, 2] add up to 4, not 5 (shapes [2, 5])');
  });

  it('pad with zeros and with a fill value', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 3]);
    const padded = graph.pad(x, [1, 0, 0, 2]);
    expect(padded.shape).toEqual([3, 5]);
    const filled = graph.pad(x, [0, 1, 0, 0], { value: -1 });
    graph.output(graph.mul(padded, padded), 'y');
    graph.output(filled, 'filled');
    const outputs = await runGraph(graph, { x: tensor('float64', [2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(numbers(outputs.filled)).toEqual([-1, 1, 2, 3, -1, 4, 5, 6]);
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3]) }, wrt: ['x'] });
  });

  it('the Slice gradient is a Pad and the Concat gradient a Split', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [4]);
    graph.output(graph.concat([graph.slice(x, { starts: [1], ends: [3] }), x], 0), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['x'] });
    const ops = (derived.graph.toModelProto().graph?.node ?? []).map((node) => node.opType);
    expect(ops).toContain('Pad');
    expect(ops).toContain('Split');
    const session = await createSession(derived.graph);
    const outputs = await runSession(session, {
      x: tensor('float64', [4], [0, 0, 0, 0]),
      grad_y: tensor('float64', [6], [10, 20, 1, 2, 3, 4]),
    });
    expect(numbers(outputs.grad_x)).toEqual([1, 12, 23, 4]);
  });
});
