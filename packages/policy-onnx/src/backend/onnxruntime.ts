// The only file of @research-ts/policy-onnx that imports onnxruntime-node (house style: a third-party
// engine enters through one file).
import { InvalidInputError } from '@research-ts/spec';
import { checkExecutionProvider, sessionCreationError } from '@research-ts/spec/node';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '@research-ts/onnx-graph';
import { float16ToFloat32 } from '../model/float16';

/** Execution providers this package asks onnxruntime for. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';

/** Where each {@link ExecutionProvider} runs the policy; `satisfies` demands one entry per provider. */
export const executionProviders = {
  cpu: 'the CPU (every platform)',
  webgpu: 'a GPU through WebGPU (Dawn over Vulkan on Linux): parameters, gradients, moments and KV cache on the device',
  cuda: 'an NVIDIA GPU through CUDA (Linux x64), parameters as session initializers',
} as const satisfies Record<ExecutionProvider, string>;

export interface CreateSessionOptions {
  executionProvider: ExecutionProvider;
  /** External-data files the model refers to by `location`, held in memory (weights over 2 GB). */
  externalData?: ReadonlyArray<{ path: string; data: Uint8Array }>;
  /** Threads of one operator on the CPU provider (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /** Graph optimisation level (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Keep onnxruntime's CPU memory arena and memory-pattern planning (default true). Off, every
   * intermediate is allocated and freed with malloc: lower peak memory for large training graphs.
   */
  memoryArena?: boolean;
  /**
   * Outputs kept on the execution provider's device instead of copied to the host: `'all'`, or their
   * names (default none). On webgpu they stay in GPU buffers (onnxruntime's `preferredOutputLocation:
   * 'gpu-buffer'`); on cpu the "device" is host memory. Either way `runOnDevice` returns them as
   * {@link DeviceTensor}s that later runs of any session on the same provider take as feeds.
   */
  deviceOutputs?: 'all' | readonly string[];
}

/** An input tensor: float32, int64, int32 or float64 values, row-major, with their dimensions. */
export interface FeedTensor {
  data: Float32Array | BigInt64Array | Int32Array | Float64Array;
  dims: readonly number[];
}

/** An output tensor as float32 (float16 and float64 outputs are converted). */
export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

const engines = new WeakMap<OnnxSession, ort.InferenceSession>();
const deviceOutputNames = new WeakMap<OnnxSession, ReadonlySet<string>>();

/**
 * A tensor that stays where its session's provider computes: a GPU buffer on webgpu, host memory on
 * cpu. It is an opaque handle: feed it to a later run of any session on the same provider, read it back
 * with {@link readDeviceTensors}, and `dispose()` it when it is no longer needed (a GPU buffer is freed
 * then, not by the garbage collector). `getData()` on a GPU buffer is not implemented by onnxruntime-node,
 * hence no accessor here.
 */
export class DeviceTensor {
  readonly #tensor: ort.Tensor;
  readonly executionProvider: ExecutionProvider;

  private constructor(tensor: ort.Tensor, executionProvider: ExecutionProvider) {
    this.#tensor = tensor;
    this.executionProvider = executionProvider;
  }

  /** @internal used by this file only */
  static wrap(tensor: ort.Tensor, executionProvider: ExecutionProvider): DeviceTensor {
    return new DeviceTensor(tensor, executionProvider);
  }

  /** @internal used by this file only */
  static unwrap(tensor: DeviceTensor): ort.Tensor {
    if (tensor.#tensor.location === 'none')
      throw new InvalidInputError('the device tensor was disposed', { source: 'feeds' });
    return tensor.#tensor;
  }

  get dims(): readonly number[] {
    return this.#tensor.dims;
  }

  get type(): string {
    return this.#tensor.type;
  }

  /** Elements (the product of `dims`). */
  get size(): number {
    return this.#tensor.size;
  }

  get disposed(): boolean {
    return this.#tensor.location === 'none';
  }

  /** Frees the tensor's memory; later feeds of it are an error. Safe to call twice. */
  dispose(): void {
    if (this.#tensor.location !== 'none') this.#tensor.dispose();
  }
}

/** A feed: host values, or a tensor already on the session's device. */
export type SessionFeed = FeedTensor | DeviceTensor;

/**
 * Host↔device traffic of sessions on a GPU provider since the process started (cpu sessions count
 * nothing): feeds given as host arrays are uploads, outputs returned to the host are downloads.
 */
export interface TransferCounters {
  runs: number;
  uploads: number;
  uploadedBytes: number;
  downloads: number;
  downloadedBytes: number;
}

const transfers: TransferCounters = { runs: 0, uploads: 0, uploadedBytes: 0, downloads: 0, downloadedBytes: 0 };

/** A copy of the transfer counters (subtract two copies to measure a span of work). */
export function transferCounters(): TransferCounters {
  return { ...transfers };
}

/** Session runs in this process on every provider, and the milliseconds from each run's call to its results. */
export interface EngineRunCounters {
  runs: number;
  milliseconds: number;
}

const engineRuns: EngineRunCounters = { runs: 0, milliseconds: 0 };

/** A copy of the run counters (subtract two copies to see how much of a span of work onnxruntime took). */
export function engineRunCounters(): EngineRunCounters {
  return { ...engineRuns };
}

async function timedRun<T>(run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    engineRuns.runs += 1;
    engineRuns.milliseconds += performance.now() - started;
  }
}

/** A loaded ONNX model on one execution provider. */
export class OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  private constructor(
    session: ort.InferenceSession,
    readonly executionProvider: ExecutionProvider,
  ) {
    engines.set(this, session);
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
  }

  /** @internal used by `createSession` only */
  static wrap(session: unknown, executionProvider: ExecutionProvider): OnnxSession {
    return new OnnxSession(session as ort.InferenceSession, executionProvider);
  }

  /** Frees the native session; later runs fail. */
  async release(): Promise<void> {
    await engineOf(this).release();
    engines.delete(this);
  }
}

function engineOf(session: OnnxSession): ort.InferenceSession {
  const engine = engines.get(session);
  if (engine === undefined) throw new InvalidInputError('the session was released', { source: 'runSession' });
  return engine;
}

/** The providers onnxruntime-node lists for this platform, and whether each is built into the package. */
export function listExecutionProviders(): Array<{ name: string; bundled: boolean }> {
  return ort.listSupportedBackends().map(({ name, bundled }) => ({ name, bundled }));
}

/** How to find onnxruntime-node's entry file from here: ESM (and vitest), then the CommonJS build's `require`. */
const locateEngine = [
  () => fileURLToPath(import.meta.resolve('onnxruntime-node')),
  () => require.resolve('onnxruntime-node'),
];

/**
 * Creates an onnxruntime session over serialized ONNX model bytes on one execution provider. A
 * provider this installation lacks is an `UnsupportedError` that says why: not built for this
 * platform, not bundled and not downloaded at install (CUDA without internet at `npm install`), or
 * present but unable to start (no GPU adapter).
 */
export async function createSession(modelBytes: Uint8Array, options: CreateSessionOptions): Promise<OnnxSession> {
  const provider = options.executionProvider;
  checkExecutionProvider({
    provider,
    listed: ort.listSupportedBackends(),
    engine: `onnxruntime-node ${ort.env.versions.common}`,
    locateEngine,
  });
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    ...(options.memoryArena === false ? { enableCpuMemArena: false, enableMemPattern: false } : {}),
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.externalData === undefined
      ? {}
      : { externalData: options.externalData.map(({ path, data }) => ({ path, data })) }),
  };
  if (options.deviceOutputs !== undefined && provider !== 'cpu') {
    // only a GPU provider has a device; on cpu the outputs are host tensors already
    const names = options.deviceOutputs;
    sessionOptions.preferredOutputLocation =
      names === 'all' ? 'gpu-buffer' : Object.fromEntries(names.map((name) => [name, 'gpu-buffer' as const]));
  }
  try {
    const session = OnnxSession.wrap(await ort.InferenceSession.create(modelBytes, sessionOptions), provider);
    if (options.deviceOutputs !== undefined)
      deviceOutputNames.set(
        session,
        new Set(options.deviceOutputs === 'all' ? session.outputNames : options.deviceOutputs),
      );
    return session;
  } catch (error) {
    throw sessionCreationError(error, provider, 'ONNX model bytes');
  }
}

function toOrtTensor(name: string, feed: FeedTensor): ort.Tensor {
  const count = feed.dims.reduce((product, size) => product * size, 1);
  if (!feed.dims.every((size) => Number.isSafeInteger(size) && size >= 0) || count !== feed.data.length) {
    throw new InvalidInputError(
      `dims [${feed.dims.join(', ')}] need ${count} values but data holds ${feed.data.length}`,
      { source: 'feeds', field: name },
    );
  }
  const dims = [...feed.dims];
  if (feed.data instanceof Float32Array) return new ort.Tensor('float32', feed.data, dims);
  if (feed.data instanceof BigInt64Array) return new ort.Tensor('int64', feed.data, dims);
  if (feed.data instanceof Int32Array) return new ort.Tensor('int32', feed.data, dims);
  return new ort.Tensor('float64', feed.data, dims);
}

/** Options of `runSession`. */
export interface RunSessionOptions {
  /** Compute only these outputs (default: every output). */
  outputs?: readonly string[];
  /**
   * Float32 outputs written into these caller-owned arrays (dims must match the output's), so that
   * repeated runs reuse memory instead of touching fresh pages; the returned tensor holds the same array.
   */
  into?: Readonly<Record<string, { data: Float32Array; dims: readonly number[] }>>;
}

function checkFeeds(
  session: OnnxSession,
  engine: ort.InferenceSession,
  feeds: Readonly<Record<string, SessionFeed>>,
): Record<string, ort.Tensor> {
  for (const name of engine.inputNames)
    if (!(name in feeds)) throw new InvalidInputError('the model needs this input', { source: 'feeds', field: name });
  const ortFeeds: Record<string, ort.Tensor> = {};
  const onDevice = session.executionProvider !== 'cpu';
  const inputNames = new Set(engine.inputNames);
  for (const [name, feed] of Object.entries(feeds)) {
    if (!inputNames.has(name))
      throw new InvalidInputError(`the model has no such input (inputs: ${engine.inputNames.join(', ')})`, {
        source: 'feeds',
        field: name,
      });
    if (feed instanceof DeviceTensor) {
      if (feed.executionProvider !== session.executionProvider) {
        throw new InvalidInputError(
          `is a ${feed.executionProvider} device tensor fed to a ${session.executionProvider} session`,
          { source: 'feeds', field: name },
        );
      }
      ortFeeds[name] = DeviceTensor.unwrap(feed);
      continue;
    }
    ortFeeds[name] = toOrtTensor(name, feed);
    if (onDevice) {
      transfers.uploads += 1;
      transfers.uploadedBytes += feed.data.byteLength;
    }
  }
  return ortFeeds;
}

async function runEngine(
  session: OnnxSession,
  feeds: Readonly<Record<string, SessionFeed>>,
  options: RunSessionOptions,
): Promise<ort.InferenceSession.ReturnType> {
  const engine = engineOf(session);
  const ortFeeds = checkFeeds(session, engine, feeds);
  if (session.executionProvider !== 'cpu') transfers.runs += 1;
  const names = options.outputs ?? engine.outputNames;
  for (const name of names)
    if (!engine.outputNames.includes(name))
      throw new InvalidInputError(`the model has no such output (outputs: ${engine.outputNames.join(', ')})`, {
        source: 'outputs',
        field: name,
      });
  if (options.outputs === undefined && options.into === undefined) return timedRun(() => engine.run(ortFeeds));
  const fetches: Record<string, ort.Tensor | null> = {};
  for (const name of names) fetches[name] = null;
  for (const [name, target] of Object.entries(options.into ?? {})) {
    if (!engine.outputNames.includes(name))
      throw new InvalidInputError(`the model has no such output (outputs: ${engine.outputNames.join(', ')})`, {
        source: 'into',
        field: name,
      });
    fetches[name] = toOrtTensor(name, target);
  }
  return timedRun(() => engine.run(ortFeeds, fetches));
}

/**
 * Runs a session on named inputs and returns the outputs as float32. Every model input needs a
 * feed, and every feed must name an input; outputs of integer or boolean type are an error.
 */
export async function runSession(
  session: OnnxSession,
  feeds: Readonly<Record<string, SessionFeed>>,
  options: RunSessionOptions = {},
): Promise<Record<string, OutputTensor>> {
  const { host, device } = await runOnDevice(session, feeds, options);
  const kept = Object.keys(device);
  if (kept.length > 0) {
    for (const tensor of Object.values(device)) tensor.dispose();
    throw new InvalidInputError(`are device outputs; use runOnDevice (outputs: ${kept.join(', ')})`, {
      source: 'runSession',
      field: kept[0],
    });
  }
  return host;
}

/** The outputs of {@link runOnDevice}: host copies, and the outputs the session keeps on its device. */
export interface DeviceRunOutputs {
  host: Record<string, OutputTensor>;
  device: Record<string, DeviceTensor>;
}

/**
 * Runs a session whose feeds may be device tensors; the outputs named in the session's
 * `deviceOutputs` come back as {@link DeviceTensor}s (owned by the caller: dispose them), the others as
 * host float32 arrays.
 */
export async function runOnDevice(
  session: OnnxSession,
  feeds: Readonly<Record<string, SessionFeed>>,
  options: RunSessionOptions = {},
): Promise<DeviceRunOutputs> {
  const results = await runEngine(session, feeds, options);
  const kept = deviceOutputNames.get(session);
  const host: Record<string, OutputTensor> = {};
  const device: Record<string, DeviceTensor> = {};
  for (const [name, value] of Object.entries(results)) {
    if (kept?.has(name) === true) {
      device[name] = DeviceTensor.wrap(value, session.executionProvider);
      continue;
    }
    const dims = value.dims.map(Number);
    if (session.executionProvider !== 'cpu') {
      transfers.downloads += 1;
      transfers.downloadedBytes += (value.data as ArrayBufferView).byteLength;
    }
    if (value.type === 'float32') host[name] = { data: value.data as Float32Array, dims };
    else if (value.type === 'float16') {
      const data = value.data as ArrayBufferView;
      host[name] = { data: float16ToFloat32(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)), dims };
    } else if (value.type === 'float64') host[name] = { data: Float32Array.from(value.data as Float64Array), dims };
    else if (value.type === 'int64' || value.type === 'int32')
      host[name] = { data: Float32Array.from(value.data as ArrayLike<number | bigint>, Number), dims };
    else
      throw new InvalidInputError(`has type ${value.type}; runSession returns numeric outputs only`, {
        source: 'session outputs',
        field: name,
      });
  }
  return { host, device };
}

/** `y = Identity(x)` over a tensor of any shape. */
function identityModel(type: 'float32' | 'int64', rank: number): Uint8Array {
  const graph = new GraphBuilder({ name: `identity-${type}-${rank}` });
  graph.output(
    graph.identity(
      graph.input(
        'x',
        type,
        Array.from({ length: rank }, (_, axis) => `d${axis}`),
      ),
    ),
    'y',
  );
  return graph.serialize();
}

const identitySessions = new Map<string, Promise<OnnxSession>>();

/** One Identity session per provider, direction and element type: how a host array becomes a device tensor and back. */
function identitySession(
  provider: ExecutionProvider,
  direction: 'upload' | 'download',
  type: 'float32' | 'int64',
  rank: number,
): Promise<OnnxSession> {
  const key = `${provider}:${direction}:${type}:${rank}`;
  let session = identitySessions.get(key);
  if (session === undefined) {
    session = createSession(identityModel(type, rank), {
      executionProvider: provider,
      ...(direction === 'upload' ? { deviceOutputs: 'all' as const } : {}),
    });
    identitySessions.set(key, session);
  }
  return session;
}

/** Copies host values to the provider's device (one upload). */
export async function uploadTensor(provider: ExecutionProvider, feed: FeedTensor): Promise<DeviceTensor> {
  const type = feed.data instanceof BigInt64Array ? 'int64' : 'float32';
  if (!(feed.data instanceof Float32Array) && type === 'float32')
    throw new InvalidInputError('uploadTensor takes float32 or int64 data', { source: 'uploadTensor' });
  const { device } = await runOnDevice(await identitySession(provider, 'upload', type, feed.dims.length), { x: feed });
  return device.y!;
}

/** Host float32 copies of device tensors (one download each). */
export async function readDeviceTensors(tensors: readonly DeviceTensor[]): Promise<Float32Array[]> {
  const copies: Float32Array[] = [];
  for (const tensor of tensors) {
    const type = tensor.type === 'int64' ? 'int64' : 'float32';
    const { host } = await runOnDevice(
      await identitySession(tensor.executionProvider, 'download', type, tensor.dims.length),
      { x: tensor },
    );
    // a cpu Identity may alias its input's buffer: copy so that the result outlives the tensor
    copies.push(tensor.executionProvider === 'cpu' ? host.y!.data.slice() : host.y!.data);
  }
  return copies;
}

/** Like `runSession` for float64 graphs (gradient checks): every output must be float64 and stays float64. */
export async function runSessionFloat64(
  session: OnnxSession,
  feeds: Readonly<Record<string, SessionFeed>>,
): Promise<Record<string, { data: Float64Array; dims: number[] }>> {
  const results = await runEngine(session, feeds, {});
  const outputs: Record<string, { data: Float64Array; dims: number[] }> = {};
  for (const [name, value] of Object.entries(results)) {
    if (value.type !== 'float64')
      throw new InvalidInputError(`has type ${value.type}; runSessionFloat64 returns float64 outputs only`, {
        source: 'session outputs',
        field: name,
      });
    outputs[name] = { data: value.data as Float64Array, dims: value.dims.map(Number) };
  }
  return outputs;
}
