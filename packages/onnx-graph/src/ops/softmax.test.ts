import { describe, expect, it } from 'vitest';
import { GraphBuilder, tensor } from '../index.js';
import {
  checkGradients,
  createRandom,
  expectClose,
  numbers,
  randomTensor,
  runGraph,
} from '../../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences.
const random = createRandom(41);

describe('Softmax / LogSoftmax', () => {
  for (const op of ['softmax', 'logSoftmax'] as const) {
    for (const axis of [-1, 0, 1]) {
      it(`${op} along axis ${axis} matches finite differences`, async () => {
        const graph = new GraphBuilder();
        const x = graph.input('x', 'float64', [2, 3, 4]);
        graph.output(graph[op](x, axis), 'y');
        await checkGradients({
          graph,
          feeds: { x: randomTensor(random, 'float64', [2, 3, 4], { min: -2, max: 2 }) },
          wrt: ['x'],
        });
      });
    }
  }

  it('computes worked values', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3]);
    graph.output(graph.softmax(x), 'p');
    graph.output(graph.logSoftmax(x), 'logp');
    const outputs = await runGraph(graph, { x: tensor('float64', [3], [0, Math.log(2), Math.log(5)]) });
    expectClose(numbers(outputs.p), [1 / 8, 2 / 8, 5 / 8], { atol: 1e-15, label: 'softmax' });
    expectClose(numbers(outputs.logp), [Math.log(1 / 8), Math.log(2 / 8), Math.log(5 / 8)], {
      atol: 1e-15,
      label: 'log-softmax',
    });
  });

  it('the entropy -sum(p log p) has the right gradient', async () => {
    const graph = new GraphBuilder();
    const logits = graph.input('logits', 'float64', [2, 5]);
    const logp = graph.logSoftmax(logits);
    const entropy = graph.neg(graph.reduceSum(graph.mul(graph.exp(logp), logp), [-1], { keepDims: false }));
    expect(entropy.shape).toEqual([2]);
    graph.output(entropy, 'entropy');
    await checkGradients({
      graph,
      feeds: { logits: randomTensor(random, 'float64', [2, 5], { min: -3, max: 3 }) },
      wrt: ['logits'],
    });
  });
});
