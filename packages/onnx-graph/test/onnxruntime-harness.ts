// Test-only bridge to onnxruntime-node (a devDependency): runs built graphs on the CPU provider and checks
// gradient graphs against central finite differences. Runtime code of the package never imports this.
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { DataType, GraphBuilder, TensorData, Value } from '../src/index.js';
import { gradients, tensor } from '../src/index.js';

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in `[min, max)` (default `[-1, 1)`). */
export function randomTensor(
  random: () => number,
  dtype: 'float32' | 'float64',
  shape: readonly number[],
  range: { min?: number; max?: number } = {},
): TensorData {
  const min = range.min ?? -1;
  const max = range.max ?? 1;
  const count = shape.reduce((product, dim) => product * dim, 1);
  return tensor(
    dtype,
    shape,
    Array.from({ length: count }, () => min + (max - min) * random()),
  );
}

/** Uniform integers in `[0, upper)`. */
export function randomIndices(
  random: () => number,
  shape: readonly number[],
  upper: number,
  dtype: 'int64' | 'int32' = 'int64',
): TensorData {
  const count = shape.reduce((product, dim) => product * dim, 1);
  return tensor(
    dtype,
    shape,
    Array.from({ length: count }, () => Math.floor(random() * upper)),
  );
}

function toOrt(data: TensorData): ort.Tensor {
  return new ort.Tensor(
    data.dtype === 'float32' ? 'float32' : data.dtype === 'float64' ? 'float64' : data.dtype,
    data.data as never,
    [...data.shape],
  );
}

const ortTypes: Record<string, DataType> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
  float16: 'float16',
};

function fromOrt(value: ort.Tensor): TensorData {
  const dtype = ortTypes[value.type];
  if (dtype === undefined) throw new Error(`unexpected output type ${value.type}`);
  return { dtype, shape: value.dims.map(Number), data: value.data as never };
}

/** A CPU session over serialized model bytes (or a builder, serialized here). */
export async function createSession(
  model: Uint8Array | GraphBuilder,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<ort.InferenceSession> {
  const bytes = model instanceof Uint8Array ? model : model.serialize();
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    ...options,
  });
}

/** Runs a session and returns every output as TensorData. */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, TensorData>,
): Promise<Record<string, TensorData>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(feeds)) ortFeeds[name] = toOrt(data);
  const results = await session.run(ortFeeds);
  const outputs: Record<string, TensorData> = {};
  for (const [name, value] of Object.entries(results)) outputs[name] = fromOrt(value);
  return outputs;
}

/** Builds, serializes, runs once. */
export async function runGraph(
  graph: GraphBuilder,
  feeds: Record<string, TensorData>,
): Promise<Record<string, TensorData>> {
  return runSession(await createSession(graph), feeds);
}

export function numbers(data: TensorData | undefined): number[] {
  if (data === undefined) throw new Error('missing output');
  return Array.from(data.data as ArrayLike<number | bigint>, Number);
}

/**
 * Asserts `|actual - expected| <= atol + rtol * |expected|` elementwise; the failure message names the label,
 * the worst element and the largest difference.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { atol?: number; rtol?: number; label?: string } = {},
): number {
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  const label = options.label ?? 'values';
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let maxDifference = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let index = 0; index < expected.length; index += 1) {
    const want = expected[index] as number;
    const got = actual[index] as number;
    const difference = Math.abs(got - want);
    if (!(difference <= maxDifference)) maxDifference = Number.isNaN(difference) ? Infinity : difference;
    const excess = difference - (atol + rtol * Math.abs(want));
    if (Number.isNaN(difference) || excess > worstExcess) {
      worstExcess = Number.isNaN(difference) ? Infinity : excess;
      worst = index;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (max |diff| ${maxDifference.toExponential(3)}, atol ${atol}, rtol ${rtol})`,
    );
  }
  return maxDifference;
}

export interface GradientCheckOptions {
  /** The forward graph with its inputs and outputs declared. */
  graph: GraphBuilder;
  /** A value for every graph input. */
  feeds: Record<string, TensorData>;
  /** Graph inputs to differentiate (floating point). */
  wrt: readonly string[];
  /** Outputs to differentiate; default every declared output. */
  outputs?: readonly (string | Value)[];
  /** Seed of the random upstream gradients. */
  seed?: number;
  /** Central-difference step; default 1e-6 (float64) or 2^-9 (float32). */
  epsilon?: number;
  atol?: number;
  rtol?: number;
}

export interface GradientCheckResult {
  /** The largest |analytic - numeric| over all checked elements. */
  maxDifference: number;
  /** The analytic gradients by wrt name. */
  analytic: Record<string, number[]>;
  gradientGraph: GraphBuilder;
}

/**
 * Checks reverse-mode gradients against central finite differences of the scalar
 * `L(x) = Σ_outputs <u, y(x)>` with random upstream `u`: `dL/dx_i ≈ (L(x + h e_i) - L(x - h e_i)) / (2h)`,
 * the step taken as stored (after rounding to the input's dtype). float64 by default: atol 1e-6, rtol 1e-5.
 */
export async function checkGradients(options: GradientCheckOptions): Promise<GradientCheckResult> {
  const { graph, feeds } = options;
  const random = createRandom(options.seed ?? 7);
  const outputs = (options.outputs ?? graph.outputs).map((output) =>
    typeof output === 'string' ? output : output.name,
  );
  const forward = await createSession(graph);
  const base = await runSession(forward, feeds);
  const upstream: Record<string, Float64Array> = {};
  const upstreamFeeds: Record<string, TensorData> = {};
  for (const name of outputs) {
    const output = base[name];
    if (output === undefined) throw new Error(`output ${name} missing`);
    const values = randomTensor(random, output.dtype === 'float32' ? 'float32' : 'float64', output.shape);
    upstream[name] = Float64Array.from(values.data as Float64Array, Number);
    upstreamFeeds[`grad_${name}`] = values;
  }
  const derived = gradients(graph, { outputs, wrt: options.wrt });
  const backward = await createSession(derived.graph);
  const results = await runSession(backward, { ...feeds, ...upstreamFeeds });
  const loss = async (perturbed: Record<string, TensorData>): Promise<number> => {
    const values = await runSession(forward, perturbed);
    let total = 0;
    for (const name of outputs) {
      const weights = upstream[name] as Float64Array;
      const output = values[name] as TensorData;
      const data = output.data as ArrayLike<number>;
      for (let index = 0; index < weights.length; index += 1)
        total += (weights[index] as number) * (data[index] as number);
    }
    return total;
  };
  let maxDifference = 0;
  const analytic: Record<string, number[]> = {};
  for (const name of options.wrt) {
    const input = feeds[name];
    if (input === undefined) throw new Error(`no feed for ${name}`);
    const float32 = input.dtype === 'float32';
    const epsilon = options.epsilon ?? (float32 ? 2 ** -9 : 1e-6);
    const gradient = numbers(results[`grad_${name}`]);
    analytic[name] = gradient;
    const numeric: number[] = [];
    const data = input.data as Float64Array | Float32Array;
    for (let index = 0; index < data.length; index += 1) {
      const plus = data.slice() as Float64Array | Float32Array;
      const minus = data.slice() as Float64Array | Float32Array;
      plus[index] = (data[index] as number) + epsilon;
      minus[index] = (data[index] as number) - epsilon;
      const step = (plus[index] as number) - (minus[index] as number);
      const up = await loss({ ...feeds, [name]: { ...input, data: plus } });
      const down = await loss({ ...feeds, [name]: { ...input, data: minus } });
      numeric.push((up - down) / step);
    }
    const difference = expectClose(gradient, numeric, {
      atol: options.atol ?? (float32 ? 1e-3 : 1e-6),
      rtol: options.rtol ?? (float32 ? 1e-2 : 1e-5),
      label: `d/d${name}`,
    });
    maxDifference = Math.max(maxDifference, difference);
  }
  return { maxDifference, analytic, gradientGraph: derived.graph };
}

/** Op types of the nodes a model keeps after dead-node removal. */
export function liveOpTypes(graph: GraphBuilder): string[] {
  return (graph.toModelProto().graph?.node ?? []).map((node) => node.opType ?? '');
}
