import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor } from '../index.js';
import { checkGradients, createRandom, numbers, randomTensor, runGraph } from '../../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences.
const random = createRandom(31);

describe('ReduceSum / ReduceMean / ReduceMax', () => {
  const cases: [string, number[] | undefined, boolean, (number | string)[]][] = [
    ['last axis, kept', [-1], true, [2, 3, 1]],
    ['first axis, dropped', [0], false, [3, 4]],
    ['two axes, dropped', [0, 2], false, [3]],
    ['all axes, kept', undefined, true, [1, 1, 1]],
    ['all axes, dropped', undefined, false, []],
  ];
  for (const opset of [17, 18]) {
    for (const op of ['reduceSum', 'reduceMean', 'reduceMax'] as const) {
      for (const [label, axes, keepDims, shape] of cases) {
        it(`opset ${opset} ${op}: ${label}`, async () => {
          const graph = new GraphBuilder({ opset });
          const x = graph.input('x', 'float64', [2, 3, 4]);
          const y = graph[op](x, axes, { keepDims });
          expect(y.shape).toEqual(shape);
          graph.output(y, 'y');
          await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 3, 4]) }, wrt: ['x'] });
        });
      }
    }
  }

  it('takes axes as an attribute below opset 18 and as an input from 18 (ReduceSum always as an input)', () => {
    const forms = [17, 18].map((opset) => {
      const graph = new GraphBuilder({ opset });
      const x = graph.input('x', 'float32', [2, 3]);
      graph.output(graph.reduceMean(x, [1]), 'mean');
      graph.output(graph.reduceSum(x, [1]), 'sum');
      const nodes = graph.toModelProto().graph?.node ?? [];
      return nodes
        .filter((node) => node.opType?.startsWith('Reduce'))
        .map(
          (node) =>
            `${node.opType}:${node.input?.length}:${(node.attribute ?? []).map((entry) => entry.name).join(',')}`,
        );
    });
    expect(forms[0]).toEqual(['ReduceMean:1:keepdims,axes', 'ReduceSum:2:keepdims']);
    expect(forms[1]).toEqual(['ReduceMean:2:keepdims', 'ReduceSum:2:keepdims']);
  });

  it('splits the max gradient evenly between ties', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 3]);
    graph.output(graph.reduceMax(x, [1], { keepDims: false }), 'y');
    const derived = (await import('../gradients.js')).gradients(graph, { outputs: ['y'], wrt: ['x'] });
    const outputs = await runGraph(derived.graph, {
      x: tensor('float64', [2, 3], [1, 5, 5, 2, 0, -1]),
      grad_y: tensor('float64', [2], [4, 10]),
    });
    expect(numbers(outputs.grad_x)).toEqual([0, 2, 2, 10, 0, 0]);
  });

  it('mean over a symbolic dim divides by the run-time count (two batch sizes, one model)', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', ['batch', 2]);
    graph.output(graph.reduceMean(x, [0], { keepDims: false }), 'y');
    const { gradients } = await import('../gradients.js');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['x'] });
    expect(derived.graph.value('grad_x').shape).toEqual(['batch', 2]);
    const { createSession, runSession } = await import('../../test/onnxruntime-harness.js');
    const session = await createSession(derived.graph);
    for (const batch of [2, 5]) {
      const outputs = await runSession(session, {
        x: randomTensor(random, 'float64', [batch, 2]),
        grad_y: tensor('float64', [2], [1, 3]),
      });
      expect(numbers(outputs.grad_x)).toEqual(Array.from({ length: batch }, () => [1 / batch, 3 / batch]).flat());
    }
  });

  it('rejects a repeated or out-of-range axis', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2, 3]);
    expect(() => graph.reduceSum(x, [1, -1])).toThrow('ReduceSum: axis 1 is repeated in [1, -1] (shapes [2, 3])');
    expect(() => graph.reduceMax(x, [2])).toThrow('ReduceMax: axis 2 is out of range for rank 2 (shapes [2, 3])');
  });
});
