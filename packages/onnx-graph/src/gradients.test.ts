import { describe, expect, it } from 'vitest';
import { GraphBuilder, GraphBuildError, differentiableOps, gradients, tensor } from './index.js';
import type { TensorData, Value } from './index.js';
import {
  checkGradients,
  createRandom,
  createSession,
  expectClose,
  liveOpTypes,
  numbers,
  randomIndices,
  randomTensor,
  runGraph,
  runSession,
} from '../test/onnxruntime-harness.js';

// float64 on the CPU provider, atol 1e-6 / rtol 1e-5 against central differences unless a test says otherwise.
const random = createRandom(97);

/** A 2-layer MLP: loss = -mean(log_softmax(tanh(x W1 + b1) W2 + b2)[target]). */
function buildMlp(graph: GraphBuilder, parameters: Record<'w1' | 'b1' | 'w2' | 'b2', Value>): Value {
  const x = graph.input('x', 'float64', ['batch', 4]);
  const targets = graph.input('targets', 'int64', ['batch', 1]);
  const hidden = graph.tanh(graph.add(graph.matMul(x, parameters.w1), parameters.b1));
  const logits = graph.add(graph.matMul(hidden, parameters.w2), parameters.b2);
  const logprobs = graph.gatherElements(graph.logSoftmax(logits, -1), targets, 1);
  return graph.output(graph.neg(graph.reduceMean(logprobs, undefined, { keepDims: false })), 'loss');
}

const mlpShapes = { w1: [4, 5], b1: [5], w2: [5, 3], b2: [3] } as const;

describe('gradients: composite models', () => {
  const parameters: Record<string, TensorData> = Object.fromEntries(
    Object.entries(mlpShapes).map(([name, shape]) => [name, randomTensor(random, 'float64', shape)]),
  );
  const data = { x: randomTensor(random, 'float64', [3, 4]), targets: randomIndices(random, [3, 1], 3) };

  it('2-layer MLP with log-softmax + gather of target logprobs: every parameter gradient matches finite differences', async () => {
    const graph = new GraphBuilder();
    const inputs = Object.fromEntries(
      Object.entries(mlpShapes).map(([name, shape]) => [name, graph.input(name, 'float64', shape)]),
    );
    buildMlp(graph, inputs as Record<'w1' | 'b1' | 'w2' | 'b2', Value>);
    const result = await checkGradients({
      graph,
      feeds: { ...parameters, ...data },
      wrt: ['w1', 'b1', 'w2', 'b2', 'x'],
    });
    expect(result.maxDifference).toBeLessThan(1e-6);
  });

  it('parameters as initializers give the same gradients as parameters fed as inputs', async () => {
    const asInputs = new GraphBuilder();
    buildMlp(
      asInputs,
      Object.fromEntries(
        Object.entries(mlpShapes).map(([name, shape]) => [name, asInputs.input(name, 'float64', shape)]),
      ) as never,
    );
    const asInitializers = new GraphBuilder();
    buildMlp(
      asInitializers,
      Object.fromEntries(
        Object.entries(parameters).map(([name, value]) => [name, asInitializers.initializer(name, value)]),
      ) as never,
    );
    const wrt = ['w1', 'b1', 'w2', 'b2'];
    const upstream = { grad_loss: tensor('float64', [], [1]) };
    const fromInputs = await runGraph(gradients(asInputs, { outputs: ['loss'], wrt }).graph, {
      ...parameters,
      ...data,
      ...upstream,
    });
    const fromInitializers = await runGraph(gradients(asInitializers, { outputs: ['loss'], wrt }).graph, {
      ...data,
      ...upstream,
    });
    for (const name of wrt) {
      expectClose(numbers(fromInitializers[`grad_${name}`]), numbers(fromInputs[`grad_${name}`]), {
        atol: 1e-15,
        label: name,
      });
    }
  });

  it('symbolic batch: one gradient model runs with batch 2 and batch 5', async () => {
    const graph = new GraphBuilder();
    buildMlp(
      graph,
      Object.fromEntries(
        Object.entries(parameters).map(([name, value]) => [name, graph.initializer(name, value)]),
      ) as never,
    );
    const derived = gradients(graph, { outputs: ['loss'], wrt: ['w1', 'x'], keepOutputs: true });
    expect(derived.graph.value('grad_x').shape).toEqual(['batch', 4]);
    expect(derived.graph.outputs.map((output) => output.name)).toEqual(['loss', 'grad_w1', 'grad_x']);
    const session = await createSession(derived.graph);
    for (const batch of [2, 5]) {
      const feeds = {
        x: randomTensor(random, 'float64', [batch, 4]),
        targets: randomIndices(random, [batch, 1], 3),
        grad_loss: tensor('float64', [], [1]),
      };
      const outputs = await runSession(session, feeds);
      expect(outputs.grad_x?.shape).toEqual([batch, 4]);
      expect(outputs.grad_w1?.shape).toEqual([4, 5]);
      // the mean over the batch: doubling the upstream gradient doubles every parameter gradient
      const doubled = await runSession(session, { ...feeds, grad_loss: tensor('float64', [], [2]) });
      expectClose(
        numbers(doubled.grad_w1),
        numbers(outputs.grad_w1).map((value) => 2 * value),
        { atol: 1e-15, label: `batch ${batch}` },
      );
    }
  });
});

describe('gradients: graph structure', () => {
  it('sums the gradients of a value used twice: d(x*x + 3x)/dx = 2x + 3', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3]);
    graph.output(graph.add(graph.mul(x, x), graph.mul(x, 3)), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['x'] });
    const outputs = await runGraph(derived.graph, {
      x: tensor('float64', [3], [1, -2, 0.5]),
      grad_y: tensor('float64', [3], [1, 1, 1]),
    });
    expect(numbers(outputs.grad_x)).toEqual([5, -1, 4]);
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [3]) }, wrt: ['x'] });
  });

  it('sums gradients from two outputs', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [2, 2]);
    const hidden = graph.exp(x);
    graph.output(graph.reduceSum(hidden, [1]), 'rows');
    graph.output(graph.softmax(hidden, 0), 'columns');
    await checkGradients({ graph, feeds: { x: randomTensor(random, 'float64', [2, 2]) }, wrt: ['x'] });
  });

  it('prunes branches off the path: no backward nodes for them, no forward nodes the gradients do not need', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [4, 4]);
    const w = graph.input('w', 'float32', [4, 4]);
    const frozen = graph.input('frozen', 'float32', [4, 4]);
    const side = graph.sigmoid(graph.matMul(x, x)); // a second output, not differentiated
    graph.output(side, 'side');
    const y = graph.tanh(graph.add(graph.matMul(x, w), graph.log(frozen)));
    graph.output(graph.reduceSum(y), 'loss');
    const derived = gradients(graph, { outputs: ['loss'], wrt: ['w'] });
    const ops = liveOpTypes(derived.graph);
    expect(ops).not.toContain('Sigmoid'); // the side branch is gone
    expect(ops.filter((op) => op === 'MatMul')).toHaveLength(2); // x·w forward and xᵀ·g backward, nothing for x or frozen
    expect(ops).not.toContain('Div'); // no gradient through log(frozen)
    expect(ops).not.toContain('ReduceSum'); // the loss value itself is not needed for its gradient
    expect(derived.graph.inputs.map((input) => input.name)).toEqual(['x', 'w', 'frozen', 'grad_loss']);
  });

  it('skips integer paths and gives zeros to a wrt value that does not reach the outputs', async () => {
    const graph = new GraphBuilder();
    const table = graph.input('table', 'float64', [4, 2]);
    const unused = graph.input('unused', 'float64', [3]);
    const ids = graph.input('ids', 'int64', [2]);
    graph.output(graph.gather(table, graph.add(ids, 1)), 'rows');
    graph.output(graph.exp(unused), 'other');
    const derived = gradients(graph, { outputs: ['rows'], wrt: ['table', 'unused'] });
    const outputs = await runGraph(derived.graph, {
      table: randomTensor(random, 'float64', [4, 2]),
      unused: randomTensor(random, 'float64', [3]),
      ids: tensor('int64', [2], [0, 2]),
      grad_rows: tensor('float64', [2, 2], [1, 2, 3, 4]),
    });
    expect(numbers(outputs.grad_table)).toEqual([0, 0, 1, 2, 0, 0, 3, 4]);
    expect(numbers(outputs.grad_unused)).toEqual([0, 0, 0]);
  });

  it('differentiates with respect to an intermediate value', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3]);
    const hidden = graph.mul(x, 2);
    graph.output(graph.mul(hidden, hidden), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: [hidden, x] });
    expect(Object.keys(derived.gradients)).toEqual([hidden.name, 'x']);
    const outputs = await runGraph(derived.graph, {
      x: tensor('float64', [3], [1, 2, 3]),
      grad_y: tensor('float64', [3], [1, 1, 1]),
    });
    expect(numbers(outputs[`grad_${hidden.name}`])).toEqual([4, 8, 12]);
    expect(numbers(outputs.grad_x)).toEqual([8, 16, 24]);
  });

  it('names the op that has no gradient', () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [3]);
    const [y] = graph.emit('Softplus', [x], [{ dtype: 'float32', shape: [3] }]) as [Value];
    graph.output(y, 'y');
    expect(() => gradients(graph, { outputs: ['y'], wrt: ['x'] })).toThrow(
      /^Softplus: no gradient is defined for this op \(node Softplus_node_\d+\) \(shapes \[3\]\)$/,
    );
    expect(differentiableOps).not.toContain('Softplus');
    expect(differentiableOps).toContain('MatMul');
  });

  it('accepts a custom VJP for an emitted op', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float64', [3]);
    const [y] = graph.emit('Softplus', [x], [{ dtype: 'float64', shape: [3] }]) as [Value];
    graph.output(y, 'y');
    const derived = gradients(graph, {
      outputs: ['y'],
      wrt: ['x'],
      // softplus'(x) = sigmoid(x)
      customGradients: {
        Softplus: ({ graph: back, node, outputGradients }) => [
          back.mul(outputGradients[0] as Value, back.sigmoid(node.inputs[0] as Value)),
        ],
      },
    });
    const outputs = await runGraph(derived.graph, {
      x: tensor('float64', [3], [0, 1, -1]),
      grad_y: tensor('float64', [3], [1, 1, 1]),
    });
    expectClose(numbers(outputs.grad_x), [0.5, 1 / (1 + Math.exp(-1)), 1 / (1 + Math.exp(1))], { atol: 1e-15 });
  });

  it('rejects integer outputs and wrt values', () => {
    const graph = new GraphBuilder();
    const ids = graph.input('ids', 'int64', [2]);
    const x = graph.input('x', 'float32', [2]);
    graph.output(graph.add(ids, 1), 'shifted');
    graph.output(x, 'same');
    expect(() => gradients(graph, { outputs: ['shifted'], wrt: ['x'] })).toThrow(
      'gradients: output "shifted" is int64, not floating point (shapes [2])',
    );
    expect(() => gradients(graph, { outputs: ['same'], wrt: ['ids'] })).toThrow(
      'gradients: "ids" is int64, not floating point (shapes [2])',
    );
    expect(() => gradients(graph, { outputs: ['nope'], wrt: ['x'] })).toThrow(GraphBuildError);
  });
});

describe('gradients: a tiny decoder block (the pieces a Qwen2/Llama decoder needs)', () => {
  // RMSNorm, RoPE (rotate-half with cos/sin inputs), grouped-query attention (2 query heads share 1 kv head)
  // with a causal mask, SwiGLU, tied embeddings, log-softmax + gather of token logprobs, and entropies.
  const vocab = 7;
  const model = 4;
  const heads = 2;
  const headDim = 2;
  const ffn = 6;
  const shapes: Record<string, number[]> = {
    embed: [vocab, model],
    norm1: [model],
    wq: [model, heads * headDim],
    wk: [model, headDim],
    wv: [model, headDim],
    bq: [heads * headDim],
    wo: [heads * headDim, model],
    norm2: [model],
    gate: [model, ffn],
    up: [model, ffn],
    down: [ffn, model],
    norm3: [model],
  };

  function rmsNorm(graph: GraphBuilder, x: Value, weight: Value): Value {
    const meanSquare = graph.reduceMean(graph.mul(x, x), [-1], { keepDims: true });
    return graph.mul(graph.mul(x, graph.reciprocal(graph.sqrt(graph.add(meanSquare, 1e-6)))), weight);
  }

  function rope(graph: GraphBuilder, x: Value, cos: Value, sin: Value): Value {
    const half = headDim / 2;
    const first = graph.slice(x, { starts: [0], ends: [half], axes: [-1] });
    const second = graph.slice(x, { starts: [half], ends: [headDim], axes: [-1] });
    const rotated = graph.concat([graph.neg(second), first], -1);
    return graph.add(graph.mul(x, cos), graph.mul(rotated, sin));
  }

  function build(): GraphBuilder {
    const graph = new GraphBuilder();
    const p = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [name, graph.input(name, 'float64', shape)]),
    ) as Record<string, Value>;
    const ids = graph.input('ids', 'int64', ['batch', 'seq']);
    const targets = graph.input('targets', 'int64', ['batch', 'seq']);
    const cos = graph.input('cos', 'float64', ['seq', headDim]);
    const sin = graph.input('sin', 'float64', ['seq', headDim]);
    const e = (name: string) => p[name] as Value;
    const hidden = graph.gather(e('embed'), ids); // [batch, seq, model]
    const normed = rmsNorm(graph, hidden, e('norm1'));
    const toHeads = (x: Value, count: number) =>
      graph.transpose(graph.reshape(x, [0, 0, count, headDim]), [0, 2, 1, 3]);
    const q = rope(graph, toHeads(graph.add(graph.matMul(normed, e('wq')), e('bq')), heads), cos, sin); // [batch, heads, seq, hd]
    const k = rope(graph, toHeads(graph.matMul(normed, e('wk')), 1), cos, sin); // [batch, 1, seq, hd]: shared by both heads
    const v = toHeads(graph.matMul(normed, e('wv')), 1);
    const scores = graph.div(graph.matMul(q, graph.transpose(k, [0, 1, 3, 2])), Math.sqrt(headDim)); // [batch, heads, seq, seq]
    const positions = graph.range(0, graph.gather(graph.shape(ids), graph.constant(tensor('int64', [], [1]))));
    const future = graph.greater(graph.unsqueeze(positions, [0]), graph.unsqueeze(positions, [1]));
    const attention = graph.softmax(graph.where(future, -1e9, scores), -1);
    const mixed = graph.reshape(graph.transpose(graph.matMul(attention, v), [0, 2, 1, 3]), [0, 0, heads * headDim]);
    const afterAttention = graph.add(hidden, graph.matMul(mixed, e('wo')));
    const normed2 = rmsNorm(graph, afterAttention, e('norm2'));
    const gate = graph.matMul(normed2, e('gate'));
    const swiglu = graph.mul(graph.mul(gate, graph.sigmoid(gate)), graph.matMul(normed2, e('up')));
    const final = rmsNorm(graph, graph.add(afterAttention, graph.matMul(swiglu, e('down'))), e('norm3'));
    const logits = graph.matMul(final, graph.transpose(e('embed'))); // tied embeddings: [batch, seq, vocab]
    expect(logits.shape).toEqual(['batch', 'seq', vocab]);
    const logprobs = graph.logSoftmax(logits, -1);
    const tokenLogprobs = graph.squeeze(graph.gatherElements(logprobs, graph.unsqueeze(targets, [-1]), -1), [-1]);
    const entropies = graph.neg(graph.reduceSum(graph.mul(graph.exp(logprobs), logprobs), [-1], { keepDims: false }));
    expect(tokenLogprobs.shape).toEqual(['batch', 'seq']);
    graph.output(tokenLogprobs, 'logprobs');
    graph.output(entropies, 'entropies');
    return graph;
  }

  function ropeTables(seq: number): { cos: TensorData; sin: TensorData } {
    const angles = Array.from({ length: seq }, (_, position) => [position * 1, position * 1]).flat();
    return {
      cos: tensor('float64', [seq, headDim], angles.map(Math.cos)),
      sin: tensor('float64', [seq, headDim], angles.map(Math.sin)),
    };
  }

  it('every parameter gradient (embedding used twice) matches finite differences', async () => {
    const graph = build();
    const feeds: Record<string, TensorData> = {
      ...Object.fromEntries(
        Object.entries(shapes).map(([name, shape]) => [
          name,
          randomTensor(random, 'float64', shape, name.startsWith('norm') ? { min: 0.5, max: 1.5 } : {}),
        ]),
      ),
      ids: randomIndices(random, [2, 3], vocab),
      targets: randomIndices(random, [2, 3], vocab),
      ...ropeTables(3),
    };
    const result = await checkGradients({ graph, feeds, wrt: Object.keys(shapes) });
    expect(result.maxDifference).toBeLessThan(1e-6);
  });

  it('the causal mask holds: a later token does not change earlier logprobs or their gradients', async () => {
    const graph = build();
    const parameters = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [name, randomTensor(random, 'float64', shape)]),
    );
    const session = await createSession(graph);
    const run = (ids: number[]) =>
      runSession(session, {
        ...parameters,
        ids: tensor('int64', [1, ids.length], ids),
        targets: tensor(
          'int64',
          [1, ids.length],
          ids.map((id) => (id + 1) % vocab),
        ),
        ...ropeTables(ids.length),
      });
    const short = await run([1, 2, 3]);
    const long = await run([1, 2, 3, 6, 0]);
    expectClose(numbers(long.logprobs).slice(0, 3), numbers(short.logprobs), { atol: 1e-12, label: 'prefix logprobs' });
  });
});
