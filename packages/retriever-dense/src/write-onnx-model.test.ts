import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { writeOnnxModel } from './write-onnx-model';

describe('writeOnnxModel', () => {
  it('writes a model onnxruntime loads, with symbolic and static dims, int and float attributes', async () => {
    // y = 0.5 · a · bᵀ (Gemm with alpha and transB), a: [rows, 3], b: [2, 3]
    const bytes = writeOnnxModel({
      opset: 17,
      graphName: 'gemm',
      inputs: [
        { name: 'a', elementType: 'float32', shape: ['rows', 3] },
        { name: 'b', elementType: 'float32', shape: [2, 3] },
      ],
      outputs: [{ name: 'y', elementType: 'float32', shape: ['rows', 2] }],
      nodes: [
        {
          opType: 'Gemm',
          inputs: ['a', 'b'],
          outputs: ['y'],
          attributes: [
            { name: 'alpha', float: 0.5 },
            { name: 'transB', int: 1 },
          ],
        },
      ],
    });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputMetadata).toEqual([
      { name: 'a', isTensor: true, type: 'float32', shape: ['rows', 3] },
      { name: 'b', isTensor: true, type: 'float32', shape: [2, 3] },
    ]);
    const a = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const b = new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]);
    const { y } = await session.run({ a, b });
    // rows · bᵀ: [1, 2+3], [4, 5+6], halved
    expect(Array.from(y!.data as Float32Array)).toEqual([0.5, 2.5, 2, 5.5]);
    await session.release();
  });

  it('encodes a negative int attribute (TopK axis -1) and int64 inputs', async () => {
    const bytes = writeOnnxModel({
      opset: 17,
      graphName: 'top',
      inputs: [
        { name: 'x', elementType: 'float32', shape: [1, 'n'] },
        { name: 'k', elementType: 'int64', shape: [1] },
      ],
      outputs: [
        { name: 'values', elementType: 'float32', shape: [1, 'k'] },
        { name: 'indices', elementType: 'int64', shape: [1, 'k'] },
      ],
      nodes: [
        { opType: 'TopK', inputs: ['x', 'k'], outputs: ['values', 'indices'], attributes: [{ name: 'axis', int: -1 }] },
      ],
    });
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([0.1, 0.9, 0.4, 0.7]), [1, 4]),
      k: new ort.Tensor('int64', BigInt64Array.of(2n), [1]),
    });
    expect(Array.from(result.values!.data as Float32Array)).toEqual([0.9, 0.7].map(Math.fround));
    expect(Array.from(result.indices!.data as BigInt64Array)).toEqual([1n, 3n]);
    await session.release();
  });

  it('encodes long names and many nodes (multi-byte lengths)', async () => {
    const long = 'x'.repeat(300);
    const nodes = Array.from({ length: 40 }, (_, index) => ({
      opType: 'Neg',
      inputs: [index === 0 ? long : `v${index - 1}`],
      outputs: [index === 39 ? 'out' : `v${index}`],
    }));
    const bytes = writeOnnxModel({
      opset: 17,
      graphName: 'chain',
      inputs: [{ name: long, elementType: 'float32', shape: [2] }],
      outputs: [{ name: 'out', elementType: 'float32', shape: [2] }],
      nodes,
    });
    const session = await ort.InferenceSession.create(bytes);
    const { out } = await session.run({ [long]: new ort.Tensor('float32', Float32Array.from([1, -2]), [2]) });
    // 40 negations are the identity
    expect(Array.from(out!.data as Float32Array)).toEqual([1, -2]);
    await session.release();
  });
});
