import { GraphBuilder, tensor } from '@research-ts/onnx-graph';
import { InvalidInputError, UnsupportedError } from '@research-ts/spec';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createSession,
  listExecutionProviders,
  readDeviceTensors,
  runOnDevice,
  runSession,
  uploadTensor,
  type OnnxSession,
} from './onnxruntime';

/** y = tanh(x · W + b) for x [batch, 3], W [3, 2], b [2]; also z = x · W in float16. */
function tinyModel(): Uint8Array {
  const graph = new GraphBuilder({ name: 'tiny' });
  const x = graph.input('x', 'float32', ['batch', 3]);
  const weight = graph.initializer('weight', tensor('float32', [3, 2], [0.5, -1, 0.25, 2, -0.75, 0.125]));
  const bias = graph.initializer('bias', tensor('float32', [2], [0.1, -0.2]));
  const product = graph.matMul(x, weight);
  graph.output(graph.tanh(graph.add(product, bias)), 'y');
  graph.output(graph.cast(product, 'float16'), 'z');
  return graph.serialize();
}

/** The same function by hand. */
function expected(x: number[], batch: number): { y: number[]; z: number[] } {
  const weight = [
    [0.5, -1],
    [0.25, 2],
    [-0.75, 0.125],
  ];
  const y: number[] = [];
  const z: number[] = [];
  for (let row = 0; row < batch; row++) {
    for (let column = 0; column < 2; column++) {
      let sum = 0;
      for (let inner = 0; inner < 3; inner++) sum += x[row * 3 + inner]! * weight[inner]![column]!;
      z.push(sum);
      y.push(Math.tanh(sum + [0.1, -0.2][column]!));
    }
  }
  return { y, z };
}

async function runTiny(session: OnnxSession): Promise<void> {
  const x = [1, 2, 3, -0.5, 0.25, 4];
  const outputs = await runSession(session, { x: { data: new Float32Array(x), dims: [2, 3] } });
  const reference = expected(x, 2);
  expect(outputs.y!.dims).toEqual([2, 2]);
  expect(outputs.y!.data).toBeInstanceOf(Float32Array);
  for (const [index, value] of reference.y.entries())
    expect(Math.abs(outputs.y!.data[index]! - value)).toBeLessThan(1e-6);
  // float16 output, converted: these products are exact in float16 (multiples of 1/32 below 8).
  expect(Array.from(outputs.z!.data)).toEqual(reference.z);
}

describe('onnxruntime backend', () => {
  it('lists cpu as bundled', () => {
    expect(listExecutionProviders()).toContainEqual({ name: 'cpu', bundled: true });
  });

  it('runs a model built with @research-ts/onnx-graph on the CPU provider', async () => {
    const session = await createSession(tinyModel(), { executionProvider: 'cpu', intraOpNumThreads: 1 });
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y', 'z']);
    expect(session.executionProvider).toBe('cpu');
    await runTiny(session);
    await session.release();
    await expect(runSession(session, {})).rejects.toThrow('runSession: the session was released');
  });

  it('loads initializers from in-memory external data', async () => {
    const graph = new GraphBuilder();
    const x = graph.input('x', 'float32', [2]);
    const weight = graph.initializer('weight', tensor('float32', [2], [3, -4]));
    graph.output(graph.mul(x, weight), 'y');
    const serialized = graph.serializeWithExternalData({ thresholdBytes: 0 });
    expect(serialized.externalData.length).toBe(1);
    const session = await createSession(serialized.model, {
      executionProvider: 'cpu',
      externalData: serialized.externalData,
    });
    const { y } = await runSession(session, { x: { data: new Float32Array([0.5, 2]), dims: [2] } });
    expect(Array.from(y!.data)).toEqual([1.5, -8]);
    await session.release();
  });

  it('checks feeds against the model inputs and dims against the data', async () => {
    const session = await createSession(tinyModel(), { executionProvider: 'cpu' });
    await expect(runSession(session, {})).rejects.toThrow('feeds, field "x": the model needs this input');
    await expect(
      runSession(session, {
        x: { data: new Float32Array(3), dims: [1, 3] },
        w: { data: new Float32Array(1), dims: [1] },
      }),
    ).rejects.toThrow('feeds, field "w": the model has no such input (inputs: x)');
    await expect(runSession(session, { x: { data: new Float32Array(5), dims: [2, 3] } })).rejects.toThrow(
      'feeds, field "x": dims [2, 3] need 6 values but data holds 5',
    );
    await session.release();
  });

  it('rejects bytes that are not a model', async () => {
    const error = await createSession(new Uint8Array([1, 2, 3, 4]), { executionProvider: 'cpu' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/^ONNX model bytes: onnxruntime rejected the model: /);
  });

  it('says clearly when CUDA is not installed (not bundled, libraries not downloaded)', async () => {
    const cuda = listExecutionProviders().find(({ name }) => name === 'cuda');
    const nativeDirectory = join(
      dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
      '..',
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
    );
    const installed =
      cuda !== undefined && (cuda.bundled || existsSync(join(nativeDirectory, 'libonnxruntime_providers_cuda.so')));
    const attempt = await createSession(tinyModel(), { executionProvider: 'cuda' }).then(
      async (session) => {
        await runTiny(session); // a machine with the CUDA provider installed and a GPU
        await session.release();
        return undefined;
      },
      (error: unknown) => error,
    );
    if (!installed) {
      expect(attempt).toBeInstanceOf(UnsupportedError);
      expect((attempt as UnsupportedError).feature).toBe('the cuda execution provider');
      expect((attempt as Error).message).toEqual(
        cuda === undefined
          ? expect.stringMatching(/^the cuda execution provider is not available: onnxruntime-node .* offers /)
          : 'the cuda execution provider is not available: it is not bundled with onnxruntime-node and libonnxruntime_providers_cuda.so was not downloaded at install (install with internet access and without ONNXRUNTIME_NODE_INSTALL=skip)',
      );
    } else if (attempt !== undefined) {
      // Installed but no usable GPU here.
      expect((attempt as Error).message).toMatch(
        /^the cuda execution provider is not available: onnxruntime could not start it: /,
      );
    }
  });

  it('webgpu either runs the model like the CPU or is reported unsupported', async () => {
    const attempt = await createSession(tinyModel(), { executionProvider: 'webgpu' }).then(
      async (session) => {
        await runTiny(session);
        await session.release();
        return undefined;
      },
      (error: unknown) => error,
    );
    if (attempt !== undefined) {
      expect(attempt).toBeInstanceOf(UnsupportedError);
      expect((attempt as Error).message).toMatch(
        /^the webgpu execution provider is not available: onnxruntime could not start it: /,
      );
    }
  });
});

describe('device tensors', () => {
  /** sum = a + b (kept on the device), squares = Σ a² (to the host). */
  function accumulateModel(): Uint8Array {
    const graph = new GraphBuilder({ name: 'accumulate' });
    const a = graph.input('a', 'float32', ['rows', 2]);
    const b = graph.input('b', 'float32', ['rows', 2]);
    graph.output(graph.add(a, b), 'sum');
    graph.output(graph.reduceSum(graph.mul(a, a), undefined, { keepDims: false }), 'squares');
    return graph.serialize();
  }

  it.each(['cpu'] as const)('chains device outputs through runs and reads them back (%s)', async (provider) => {
    const session = await createSession(accumulateModel(), { executionProvider: provider, deviceOutputs: ['sum'] });
    const ones = { data: new Float32Array(6).fill(1), dims: [3, 2] };
    let total = await uploadTensor(provider, ones);
    const squares: number[] = [];
    for (let run = 0; run < 3; run++) {
      const { host, device } = await runOnDevice(session, { a: total, b: ones });
      squares.push(host.squares!.data[0]!);
      total.dispose();
      total = device.sum!;
    }
    expect(squares).toEqual([6, 24, 54]);
    expect(total.dims).toEqual([3, 2]);
    const [values] = await readDeviceTensors([total]);
    expect([...values!]).toEqual([4, 4, 4, 4, 4, 4]);
    total.dispose();
    expect(total.disposed).toBe(true);
    await expect(runOnDevice(session, { a: total, b: ones })).rejects.toThrow(/disposed/);
    await expect(runSession(session, { a: ones, b: ones })).rejects.toThrow(/device outputs; use runOnDevice/);
    await session.release();
  });
});
