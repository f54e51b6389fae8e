// The only file of @research-ts/retriever-dense that imports onnxruntime-node (house style: a
// third-party engine enters through one file).
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '@research-ts/spec';
import { checkExecutionProvider, sessionCreationError } from '@research-ts/spec/node';
import * as ort from 'onnxruntime-node';

/** Execution providers this package asks onnxruntime for. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

/** Element types of the tensors this package feeds and reads. */
export type TensorElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'other';

/** A model input or output as the session describes it. */
export interface TensorDescription {
  name: string;
  elementType: TensorElementType;
  /** Static sizes (numbers) and symbolic names (strings); empty when the model does not say. */
  shape: ReadonlyArray<number | string>;
}

/** An input tensor, row-major. */
export interface FeedTensor {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: readonly number[];
}

/** An output tensor: floating point outputs as float32 (float16 converted), integers as int64/int32. */
export interface OutputTensor {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: number[];
}

export interface CreateSessionOptions {
  executionProvider?: ExecutionProvider;
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /** Names the model in error messages (its path, or what it computes). */
  source: string;
}

const engines = new WeakMap<OnnxSession, ort.InferenceSession>();

/** A loaded ONNX model. */
export class OnnxSession {
  readonly inputs: readonly TensorDescription[];
  readonly outputs: readonly TensorDescription[];

  private constructor(
    session: ort.InferenceSession,
    readonly executionProvider: ExecutionProvider,
    readonly source: string,
  ) {
    engines.set(this, session);
    this.inputs = session.inputMetadata.map(describe);
    this.outputs = session.outputMetadata.map(describe);
  }

  /** @internal used by `createSession` only */
  static wrap(session: unknown, executionProvider: ExecutionProvider, source: string): OnnxSession {
    return new OnnxSession(session as ort.InferenceSession, executionProvider, source);
  }

  /**
   * Runs the model. Every input needs a feed; only the named outputs are computed and returned (all
   * outputs when `outputNames` is absent).
   */
  async run(
    feeds: Readonly<Record<string, FeedTensor>>,
    outputNames?: readonly string[],
  ): Promise<Record<string, OutputTensor>> {
    const engine = engineOf(this);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, feed);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = outputNames === undefined ? await engine.run(ortFeeds) : await engine.run(ortFeeds, [...outputNames]);
    } catch (error) {
      throw new InvalidInputError(
        `onnxruntime could not run the model: ${(error as Error).message}`,
        { source: this.source },
        { cause: error },
      );
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const [name, value] of Object.entries(results)) outputs[name] = fromOrtTensor(value, name, this.source);
    return outputs;
  }

  /** Frees the native session; later runs fail. */
  async release(): Promise<void> {
    const engine = engines.get(this);
    if (engine === undefined) return;
    engines.delete(this);
    await engine.release();
  }
}

function describe(metadata: ort.InferenceSession.ValueMetadata): TensorDescription {
  if (!metadata.isTensor) return { name: metadata.name, elementType: 'other', shape: [] };
  const known: TensorElementType[] = ['float32', 'float16', 'int64', 'int32'];
  const elementType = (known as string[]).includes(metadata.type) ? (metadata.type as TensorElementType) : 'other';
  return { name: metadata.name, elementType, shape: [...metadata.shape] };
}

function engineOf(session: OnnxSession): ort.InferenceSession {
  const engine = engines.get(session);
  if (engine === undefined) throw new InvalidInputError('the session was released', { source: session.source });
  return engine;
}

/** How to find onnxruntime-node's entry file from here: ESM (and vitest), then the CommonJS build's `require`. */
const locateEngine = [
  () => fileURLToPath(import.meta.resolve('onnxruntime-node')),
  () => require.resolve('onnxruntime-node'),
];

/**
 * Creates a session over a model file path (external data beside it is found by onnxruntime) or
 * serialized bytes. A provider this installation lacks is an `UnsupportedError` saying why; a model
 * onnxruntime rejects is an `InvalidInputError` naming `options.source`.
 */
export async function createSession(model: string | Uint8Array, options: CreateSessionOptions): Promise<OnnxSession> {
  const provider = options.executionProvider ?? 'cpu';
  checkExecutionProvider({
    provider,
    listed: ort.listSupportedBackends(),
    engine: `onnxruntime-node ${ort.env.versions.common}`,
    locateEngine,
  });
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
  };
  try {
    // (two calls: the overloads take a path or bytes, not their union)
    const session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
    return OnnxSession.wrap(session, provider, options.source);
  } catch (error) {
    throw sessionCreationError(error, provider, options.source);
  }
}

function toOrtTensor(name: string, feed: FeedTensor): ort.Tensor {
  const count = feed.dims.reduce((product, size) => product * size, 1);
  if (count !== feed.data.length) {
    throw new InvalidInputError(
      `dims [${feed.dims.join(', ')}] need ${count} values but data holds ${feed.data.length}`,
      { source: 'feeds', field: name },
    );
  }
  const dims = [...feed.dims];
  if (feed.data instanceof Float32Array) return new ort.Tensor('float32', feed.data, dims);
  if (feed.data instanceof BigInt64Array) return new ort.Tensor('int64', feed.data, dims);
  return new ort.Tensor('int32', feed.data, dims);
}

function fromOrtTensor(value: ort.Tensor, name: string, source: string): OutputTensor {
  const dims = value.dims.map(Number);
  switch (value.type) {
    case 'float32':
      return { data: value.data as Float32Array, dims };
    case 'float16': {
      const data = value.data as ArrayBufferView;
      return { data: float16ToFloat32(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)), dims };
    }
    case 'int64':
      return { data: value.data as BigInt64Array, dims };
    case 'int32':
      return { data: value.data as Int32Array, dims };
    default:
      throw new InvalidInputError(`output has type ${value.type}; float32, float16, int64 and int32 are supported`, {
        source,
        field: name,
      });
  }
}

/** IEEE half-precision bits to float32 values. */
function float16ToFloat32(bits: Uint16Array): Float32Array {
  const result = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index += 1) {
    const half = bits[index]!;
    const sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >> 10) & 0x1f;
    const fraction = half & 0x3ff;
    if (exponent === 0) result[index] = sign * fraction * 2 ** -24;
    else if (exponent === 0x1f) result[index] = fraction === 0 ? sign * Infinity : Number.NaN;
    else result[index] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return result;
}
