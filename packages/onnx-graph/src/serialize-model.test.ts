import { describe, expect, it } from 'vitest';
import { onnxMessages } from './onnx-proto.js';
import { GraphBuilder, GraphBuildError, gradients, tensor } from './index.js';
import {
  createRandom,
  createSession,
  expectClose,
  numbers,
  randomTensor,
  runSession,
} from '../test/onnxruntime-harness.js';

const random = createRandom(101);

function decode(bytes: Uint8Array) {
  return onnxMessages.ModelProto.decode(bytes);
}

describe('serialize', () => {
  it('writes the opset, a matching IR version, typed inputs with symbolic dims, and only live nodes', () => {
    const graph = new GraphBuilder({ opset: 18, name: 'tiny' });
    const x = graph.input('x', 'float32', ['batch', 3]);
    graph.exp(x); // dead: no output uses it
    graph.output(graph.tanh(x), 'y');
    const model = decode(graph.serialize());
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((entry) => [entry.domain, Number(entry.version)])).toEqual([['', 18]]);
    expect(model.graph?.name).toBe('tiny');
    expect((model.graph?.node ?? []).map((node) => node.opType)).toEqual(['Tanh']); // writes 'y' itself: no Identity
    expect(model.graph?.node?.[0]?.output).toEqual(['y']);
    const input = model.graph?.input?.[0];
    expect(input?.type?.tensorType?.elemType).toBe(1);
    expect((input?.type?.tensorType?.shape?.dim ?? []).map((dim) => dim.dimParam || Number(dim.dimValue))).toEqual([
      'batch',
      3,
    ]);
    expect((model.graph?.output ?? []).map((output) => output.name)).toEqual(['y']);
  });

  it('maps opsets 19–21 to IR 9/10 and refuses others', () => {
    expect(Number(decode(withOutput(new GraphBuilder({ opset: 21 }))).irVersion)).toBe(10);
    expect(Number(decode(withOutput(new GraphBuilder({ opset: 19 }))).irVersion)).toBe(9);
    expect(() => new GraphBuilder({ opset: 13 })).toThrow(
      'GraphBuilder: opset 13 is not supported (use 17, 18, 19, 20, 21)',
    );
  });

  it('imports the domain of contrib ops at version 1, and onnxruntime runs them (com.microsoft FusedMatMul)', async () => {
    const graph = new GraphBuilder();
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [4, 3]);
    const [product] = graph.emit('FusedMatMul', [a, b], [{ dtype: 'float32', shape: [2, 4] }], {
      domain: 'com.microsoft',
      attributes: { transB: { kind: 'int', value: 1 }, alpha: { kind: 'float', value: 2 } },
    });
    graph.output(product!, 'y');
    const model = decode(graph.serialize());
    expect(model.opsetImport.map((entry) => [entry.domain, Number(entry.version)])).toEqual([
      ['', 17],
      ['com.microsoft', 1],
    ]);
    expect(model.graph?.node?.[0]?.domain).toBe('com.microsoft');
    const aData = [1, 2, 3, 4, 5, 6];
    const bData = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1];
    const session = await createSession(graph.serialize());
    const { y } = await runSession(session, {
      a: tensor('float32', [2, 3], aData),
      b: tensor('float32', [4, 3], bData),
    });
    // 2 · a · bᵀ: rows of b pick columns of a, the last sums them
    expect(Array.from(y!.data as Float32Array)).toEqual([2, 4, 6, 12, 8, 10, 12, 30]);
    // a contrib op has no gradient, even where an ONNX op of the same name has one
    const contrib = new GraphBuilder();
    const x = contrib.input('x', 'float32', [3]);
    contrib.output(contrib.emit('Exp', [x], [{ dtype: 'float32', shape: [3] }], { domain: 'com.example' })[0]!, 'z');
    expect(() => gradients(contrib, { outputs: ['z'], wrt: ['x'] })).toThrow(
      /^Exp: no gradient is defined for this op of domain com\.example/,
    );
  });

  it('drops the Identity of output(value, name) only where renaming the value is safe, and computes the same', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [3]);
    const e = graph.exp(x);
    graph.output(graph.add(e, e), 'sum'); // e is also used by a node: its uses are renamed too
    graph.output(e, 'exp'); // renamed: the Exp node writes 'exp'
    graph.output(e, 'exp_again'); // a second name for the same value keeps its Identity
    graph.output(x, 'x_copy'); // a graph input keeps its name: Identity kept
    const model = decode(graph.serialize());
    const nodes = model.graph?.node ?? [];
    expect(nodes.map((node) => [node.opType, node.input, node.output])).toEqual([
      ['Exp', ['x'], ['exp']],
      ['Add', ['exp', 'exp'], ['sum']],
      ['Identity', ['exp'], ['exp_again']],
      ['Identity', ['x'], ['x_copy']],
    ]);
    const session = await createSession(graph.serialize());
    const outputs = await runSession(session, { x: tensor('float32', [3], [0, 1, 2]) });
    Array.from(outputs.exp!.data as Float32Array).forEach((value, index) =>
      expect(Math.abs(value - Math.exp(index))).toBeLessThan(1e-5),
    );
    expect(Array.from(outputs.exp_again!.data as Float32Array)).toEqual(Array.from(outputs.exp!.data as Float32Array));
    expect(Array.from(outputs.x_copy!.data as Float32Array)).toEqual([0, 1, 2]);
    expect(Array.from(outputs.sum!.data as Float32Array)).toEqual(
      Array.from(outputs.exp!.data as Float32Array, (value) => 2 * value),
    );
  });

  it('refuses a graph without outputs', () => {
    const graph = new GraphBuilder();
    graph.input('x', 'float32', [1]);
    expect(() => graph.serialize()).toThrow('serialize: the graph has no outputs (call output())');
  });

  it('stores initializers inline, as raw little-endian bytes, and leaves unused ones out', () => {
    const graph = new GraphBuilder();
    const w = graph.initializer('w', tensor('float32', [2], [1.5, -2]));
    graph.initializer('unused', tensor('int64', [1], [7]));
    const x = graph.input('x', 'float32', [2]);
    graph.output(graph.mul(x, w), 'y');
    const initializers = decode(graph.serialize()).graph?.initializer ?? [];
    expect(initializers.map((entry) => entry.name)).toEqual(['w']);
    expect(Array.from(new Float32Array(Uint8Array.from(initializers[0]?.rawData ?? []).buffer))).toEqual([1.5, -2]);
  });

  it('float16 initializers and casts run', async () => {
    const graph = new GraphBuilder();
    const half = graph.initializer('half', tensor('float16', [3], [0.5, -2, 65504]));
    graph.output(graph.cast(half, 'float32'), 'y');
    const outputs = await runSession(await createSession(graph), {});
    expect(numbers(outputs.y)).toEqual([0.5, -2, 65504]);
  });
});

describe('external data', () => {
  it('externalizes initializers at or over the threshold as views of their buffers, loadable with sessionOptions.externalData', async () => {
    const graph = new GraphBuilder();
    const weights = randomTensor(random, 'float32', [4, 3]); // 48 bytes
    const bias = tensor('float32', [3], [0.1, 0.2, 0.3]); // 12 bytes: stays inline
    const w = graph.initializer('layers.0/weight', weights);
    const b = graph.initializer('bias', bias);
    const x = graph.input('x', 'float32', ['batch', 4]);
    graph.output(graph.add(graph.matMul(x, w), b), 'y');
    const serialized = graph.serializeWithExternalData({ thresholdBytes: 16 });
    expect(serialized.externalData.map((file) => [file.path, file.data.byteLength])).toEqual([
      ['layers.0_weight.bin', 48],
    ]);
    expect(serialized.externalData[0]?.data.buffer).toBe(weights.data.buffer); // no copy
    const initializers = decode(serialized.model).graph?.initializer ?? [];
    const external = initializers.find((entry) => entry.name === 'layers.0/weight');
    expect(external?.dataLocation).toBe(1);
    expect((external?.externalData ?? []).map((entry) => `${entry.key}=${entry.value}`)).toEqual([
      'location=layers.0_weight.bin',
      'offset=0',
      'length=48',
    ]);
    expect(external?.rawData?.length ?? 0).toBe(0);
    expect(initializers.find((entry) => entry.name === 'bias')?.dataLocation).toBe(0);

    const session = await createSession(serialized.model, {
      externalData: serialized.externalData.map((file) => ({ path: file.path, data: file.data })),
    });
    const inline = await createSession(graph.serialize());
    const feeds = { x: randomTensor(random, 'float32', [2, 4]) };
    const fromExternal = await runSession(session, feeds);
    expectClose(numbers(fromExternal.y), numbers((await runSession(inline, feeds)).y), {
      atol: 0,
      rtol: 0,
      label: 'external vs inline',
    });
  });

  it('a model with external data does not load without the files', async () => {
    const graph = new GraphBuilder();
    const w = graph.initializer('w', randomTensor(random, 'float32', [8]));
    graph.output(graph.neg(w), 'y');
    const serialized = graph.serializeWithExternalData({ thresholdBytes: 0 });
    await expect(createSession(serialized.model)).rejects.toThrow();
  });

  it('gradient graphs externalize the same way, with distinct file names for clashing tensor names', async () => {
    const graph = new GraphBuilder();
    const a = graph.initializer('a/b', randomTensor(random, 'float32', [2, 2]));
    const b = graph.initializer('a_b', randomTensor(random, 'float32', [2, 2]));
    const x = graph.input('x', 'float32', [2]);
    graph.output(graph.reduceSum(graph.matMul(graph.matMul(x, a), b)), 'y');
    const derived = gradients(graph, { outputs: ['y'], wrt: ['a/b', 'a_b'] });
    const serialized = derived.graph.serializeWithExternalData({ thresholdBytes: 1 });
    expect(serialized.externalData.map((file) => file.path)).toEqual(['a_b.bin', 'a_b_1.bin']);
    const session = await createSession(serialized.model, { externalData: [...serialized.externalData] });
    const outputs = await runSession(session, {
      x: tensor('float32', [2], [1, 0]),
      grad_y: tensor('float32', [1], [1]),
    });
    expect(outputs['grad_a/b']?.shape).toEqual([2, 2]);
    expect(outputs.grad_a_b?.shape).toEqual([2, 2]);
  });

  it('graph errors keep their fields', () => {
    const error = new GraphBuildError('Op', 'bad', [[1], ['n']]);
    expect(error.message).toBe('Op: bad (shapes [1] and [n])');
    expect(error.problem).toBe('bad');
    expect(GraphBuildError.isInstance(error)).toBe(true);
    expect(GraphBuildError.isInstance(new Error('x'))).toBe(false);
  });
});

function withOutput(graph: GraphBuilder): Uint8Array {
  graph.output(graph.neg(graph.input('x', 'float32', [1])), 'y');
  return graph.serialize();
}
