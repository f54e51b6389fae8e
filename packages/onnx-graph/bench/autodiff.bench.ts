// npm run bench -w @research-ts/onnx-graph
// 1. Build + serialize a ~1000-node decoder-like graph and derive + serialize its gradient graph.
// 2. onnxruntime CPU run time of an MLP: forward only (the baseline) vs forward + backward, same process.
import ort from 'onnxruntime-node';
import { GraphBuilder, gradients, tensor } from '../src/index.js';
import type { Value } from '../src/index.js';

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time<T>(action: () => T): [T, number] {
  const start = performance.now();
  const result = action();
  return [result, performance.now() - start];
}

/** A stack of decoder blocks (RMSNorm, attention with a causal mask, SwiGLU) with weights as inputs. */
function buildDecoder(layers: number): GraphBuilder {
  const model = 64;
  const heads = 4;
  const headDim = model / heads;
  const graph = new GraphBuilder();
  const ids = graph.input('ids', 'int64', ['batch', 'seq']);
  const embed = graph.input('embed', 'float32', [256, model]);
  let hidden = graph.gather(embed, ids);
  const rmsNorm = (x: Value, weight: Value) =>
    graph.mul(
      graph.mul(x, graph.reciprocal(graph.sqrt(graph.add(graph.reduceMean(graph.mul(x, x), [-1]), 1e-6)))),
      weight,
    );
  const positions = graph.range(0, graph.gather(graph.shape(ids), graph.constant(tensor('int64', [], [1]))));
  const future = graph.greater(graph.unsqueeze(positions, [0]), graph.unsqueeze(positions, [1]));
  const toHeads = (x: Value) => graph.transpose(graph.reshape(x, [0, 0, heads, headDim]), [0, 2, 1, 3]);
  for (let layer = 0; layer < layers; layer += 1) {
    const weight = (name: string, shape: number[]) => graph.input(`layers.${layer}.${name}`, 'float32', shape);
    const normed = rmsNorm(hidden, weight('norm1', [model]));
    const q = toHeads(graph.matMul(normed, weight('wq', [model, model])));
    const k = toHeads(graph.matMul(normed, weight('wk', [model, model])));
    const v = toHeads(graph.matMul(normed, weight('wv', [model, model])));
    const scores = graph.where(
      future,
      -1e9,
      graph.div(graph.matMul(q, graph.transpose(k, [0, 1, 3, 2])), Math.sqrt(headDim)),
    );
    const mixed = graph.reshape(graph.transpose(graph.matMul(graph.softmax(scores), v), [0, 2, 1, 3]), [0, 0, model]);
    hidden = graph.add(hidden, graph.matMul(mixed, weight('wo', [model, model])));
    const normed2 = rmsNorm(hidden, weight('norm2', [model]));
    const gate = graph.matMul(normed2, weight('gate', [model, 4 * model]));
    const swiglu = graph.mul(
      graph.mul(gate, graph.sigmoid(gate)),
      graph.matMul(normed2, weight('up', [model, 4 * model])),
    );
    hidden = graph.add(hidden, graph.matMul(swiglu, weight('down', [4 * model, model])));
  }
  const logprobs = graph.logSoftmax(graph.matMul(hidden, graph.transpose(embed)), -1);
  graph.output(graph.reduceSum(logprobs, [-1], { keepDims: false }), 'scores');
  return graph;
}

function benchBuild(): void {
  const layers = 24;
  const rounds = 7;
  const builds: number[] = [];
  const serializations: number[] = [];
  const derivations: number[] = [];
  const gradientSerializations: number[] = [];
  let forwardNodes = 0;
  let gradientNodes = 0;
  let forwardBytes = 0;
  let gradientBytes = 0;
  for (let round = 0; round < rounds; round += 1) {
    const [graph, buildMs] = time(() => buildDecoder(layers));
    const [bytes, serializeMs] = time(() => graph.serialize());
    const wrt = graph.inputs.filter((input) => input.dtype === 'float32').map((input) => input.name);
    const [derived, deriveMs] = time(() => gradients(graph, { outputs: ['scores'], wrt }));
    const [gradientModel, gradientSerializeMs] = time(() => derived.graph.serialize());
    builds.push(buildMs);
    serializations.push(serializeMs);
    derivations.push(deriveMs);
    gradientSerializations.push(gradientSerializeMs);
    forwardNodes = graph.toModelProto().graph?.node?.length ?? 0;
    gradientNodes = derived.graph.toModelProto().graph?.node?.length ?? 0;
    forwardBytes = bytes.byteLength;
    gradientBytes = gradientModel.byteLength;
  }
  const build = median(builds);
  const serialize = median(serializations);
  const derive = median(derivations);
  const gradientSerialize = median(gradientSerializations);
  console.log(`graph building (${layers} decoder blocks, median of ${rounds})`);
  console.log(
    `  forward: ${forwardNodes} nodes, ${forwardBytes} bytes; build ${build.toFixed(1)} ms, serialize ${serialize.toFixed(1)} ms`,
  );
  console.log(
    `  gradient graph: ${gradientNodes} nodes, ${gradientBytes} bytes; gradients() ${derive.toFixed(1)} ms, serialize ${gradientSerialize.toFixed(1)} ms`,
  );
  console.log(
    `  ratio gradients()+serialize / (build+serialize) = ${((derive + gradientSerialize) / (build + serialize)).toFixed(2)}`,
  );
  console.log(`  per forward node: build+serialize ${((1000 * (build + serialize)) / forwardNodes).toFixed(1)} µs`);
}

async function benchRun(): Promise<void> {
  const batch = 64;
  const sizes = [512, 1024, 1024, 16];
  const graph = new GraphBuilder();
  const x = graph.input('x', 'float32', ['batch', sizes[0] as number]);
  const targets = graph.input('targets', 'int64', ['batch', 1]);
  let hidden: Value = x;
  const feeds: Record<string, ort.Tensor> = {};
  const random = (() => {
    let state = 12345;
    return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  })();
  const fill = (count: number, scale: number) => Float32Array.from({ length: count }, () => random() * scale);
  for (let layer = 0; layer + 1 < sizes.length; layer += 1) {
    const fanIn = sizes[layer] as number;
    const fanOut = sizes[layer + 1] as number;
    const w = graph.input(`w${layer}`, 'float32', [fanIn, fanOut]);
    const b = graph.input(`b${layer}`, 'float32', [fanOut]);
    feeds[w.name] = new ort.Tensor('float32', fill(fanIn * fanOut, 1 / Math.sqrt(fanIn)), [fanIn, fanOut]);
    feeds[b.name] = new ort.Tensor('float32', fill(fanOut, 0.1), [fanOut]);
    const linear = graph.add(graph.matMul(hidden, w), b);
    hidden = layer + 2 < sizes.length ? graph.tanh(linear) : linear;
  }
  const picked = graph.gatherElements(graph.logSoftmax(hidden, -1), targets, 1);
  graph.output(graph.neg(graph.reduceMean(picked, undefined, { keepDims: false })), 'loss');
  feeds.x = new ort.Tensor('float32', fill(batch * (sizes[0] as number), 1), [batch, sizes[0] as number]);
  feeds.targets = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: batch }, (_, index) => BigInt(index % 16)),
    [batch, 1],
  );
  const wrt = graph.inputs
    .filter((input) => input.name.startsWith('w') || input.name.startsWith('b'))
    .map((input) => input.name);
  const derived = gradients(graph, { outputs: ['loss'], wrt, keepOutputs: true });
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 2 };
  const forward = await ort.InferenceSession.create(graph.serialize(), options);
  const both = await ort.InferenceSession.create(derived.graph.serialize(), options);
  const backwardFeeds = { ...feeds, grad_loss: new ort.Tensor('float32', Float32Array.of(1), []) };
  const measure = async (session: ort.InferenceSession, sessionFeeds: Record<string, ort.Tensor>): Promise<number> => {
    for (let warm = 0; warm < 3; warm += 1) await session.run(sessionFeeds);
    const times: number[] = [];
    for (let round = 0; round < 15; round += 1) {
      const start = performance.now();
      await session.run(sessionFeeds);
      times.push(performance.now() - start);
    }
    return median(times);
  };
  const forwardMs = await measure(forward, feeds);
  const bothMs = await measure(both, backwardFeeds);
  const flops = 2 * batch * sizes.slice(1).reduce((total, size, index) => total + (sizes[index] as number) * size, 0);
  console.log(`onnxruntime CPU, MLP ${sizes.join('-')}, batch ${batch}, float32, 2 threads (median of 15)`);
  console.log(`  forward (baseline): ${forwardMs.toFixed(2)} ms (${(flops / forwardMs / 1e6).toFixed(1)} GFLOP/s)`);
  console.log(`  forward + backward: ${bothMs.toFixed(2)} ms`);
  console.log(
    `  ratio (forward+backward) / forward = ${(bothMs / forwardMs).toFixed(2)} (ideal ≈ 3: backward is two matmuls per forward matmul)`,
  );
}

benchBuild();
await benchRun();
