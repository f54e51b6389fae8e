import type { DataType } from './data-type.js';
import { GraphBuildError } from './graph-build-error.js';
import type { AttributeValue, NodeRecord } from './node-record.js';
import { attribute } from './node-record.js';
import { buildBinary, buildCast, buildCompare, buildPow, buildUnary, buildWhere } from './ops/elementwise.js';
import type { Operand } from './ops/elementwise.js';
import { buildGather, buildGatherElements, buildGatherNd, buildScatterElements, buildScatterNd } from './ops/gather.js';
import type { ScatterReduction } from './ops/gather.js';
import { buildConstantOfShape, buildRange, buildShape, buildSize, buildTrilu } from './ops/generators.js';
import { buildMatMul } from './ops/matmul.js';
import { buildReduce } from './ops/reduce.js';
import { buildExpand, buildReshape, buildSqueeze, buildTranspose, buildUnsqueeze } from './ops/reshape.js';
import { buildConcat, buildPad, buildSlice, buildSplit } from './ops/slice.js';
import type { SliceSpec } from './ops/slice.js';
import { buildSoftmax } from './ops/softmax.js';
import type { ModelProtoOptions, SerializedModel, ExternalDataOptions } from './serialize-model.js';
import { modelProto, serializeModel, serializeModelWithExternalData } from './serialize-model.js';
import type { onnxTypes as onnx } from './onnx-proto.js';
import type { Dim, Shape } from './shape.js';
import { formatShape } from './shape.js';
import type { TensorData } from './tensor-data.js';
import { tensor } from './tensor-data.js';
import type { Value } from './value.js';

/** Options of a new graph. */
export interface GraphBuilderOptions {
  /**
   * The default-domain opset, 17 to 21. Reduce ops take `axes` as an attribute below 18 (ReduceSum: input
   * from 13) and as an input from 18; the builder emits the right form. Default 17.
   */
  opset?: number;
  /** The ONNX graph name. Default `'graph'`. */
  name?: string;
}

/** The shape and dtype of an op output, as an op module declares it to `emit`. */
export interface OutputSpec {
  readonly dtype: DataType;
  readonly shape: Shape;
}

/** Options of the low-level `emit`. */
export interface EmitOptions {
  attributes?: Record<string, AttributeValue>;
  /**
   * Operator set domain of an op outside ONNX's default domain, e.g. `com.microsoft` for onnxruntime's
   * contrib ops (imported at version 1 when serialized). Such nodes have no gradient.
   */
  domain?: string;
  /** Static facts kept for the op's gradient. */
  params?: Record<string, unknown>;
}

const supportedOpsets = [17, 18, 19, 20, 21] as const;

interface BuilderState {
  values: Map<string, Value>;
  nodes: NodeRecord[];
  inputs: Value[];
  initializers: Map<string, TensorData>;
  outputs: Value[];
  contents: Map<string, Dim[]>;
  constants: Map<string, Value>;
  memo: Map<string, Value>;
  usedNames: Set<string>;
  counter: number;
}

/**
 * Builds an ONNX graph from typed ops. Every op method checks dtypes and infers the output shape at
 * build time (numpy broadcasting, symbolic dims kept by name) and throws `GraphBuildError` naming the op
 * and the operand shapes. `gradients()` derives a gradient graph from a builder.
 *
 * Shape vectors are tracked: the output of `shape(x)` (and constants, concats, slices and gathers of such
 * vectors) carries its content as dims, so `reshape`, `expand`, `constantOfShape` and `range` fed from
 * them infer exact output shapes, symbolic dims included.
 */
export class GraphBuilder {
  readonly opset: number;
  readonly name: string;
  readonly #state: BuilderState;

  constructor(options: GraphBuilderOptions = {}) {
    const opset = options.opset ?? 17;
    if (!(supportedOpsets as readonly number[]).includes(opset)) {
      throw new GraphBuildError('GraphBuilder', `opset ${opset} is not supported (use ${supportedOpsets.join(', ')})`);
    }
    this.opset = opset;
    this.name = options.name ?? 'graph';
    this.#state = {
      values: new Map(),
      nodes: [],
      inputs: [],
      initializers: new Map(),
      outputs: [],
      contents: new Map(),
      constants: new Map(),
      memo: new Map(),
      usedNames: new Set(),
      counter: 0,
    };
  }

  /** A copy sharing nothing mutable; handles of this graph stay valid in the copy. */
  clone(options: { keepOutputs?: boolean } = {}): GraphBuilder {
    const copy = new GraphBuilder({ opset: this.opset, name: this.name });
    const from = this.#state;
    const to = copy.#state;
    for (const [key, value] of from.values) to.values.set(key, value);
    to.nodes.push(...from.nodes);
    to.inputs.push(...from.inputs);
    for (const [key, value] of from.initializers) to.initializers.set(key, value);
    if (options.keepOutputs ?? true) to.outputs.push(...from.outputs);
    for (const [key, value] of from.contents) to.contents.set(key, value);
    for (const [key, value] of from.constants) to.constants.set(key, value);
    for (const [key, value] of from.memo) to.memo.set(key, value);
    for (const name of from.usedNames) to.usedNames.add(name);
    to.counter = from.counter;
    return copy;
  }

  // ---------------------------------------------------------------- graph structure

  /** The nodes in topological (creation) order. */
  get nodes(): readonly NodeRecord[] {
    return this.#state.nodes;
  }

  get inputs(): readonly Value[] {
    return this.#state.inputs;
  }

  get outputs(): readonly Value[] {
    return this.#state.outputs;
  }

  get initializers(): ReadonlyMap<string, TensorData> {
    return this.#state.initializers;
  }

  /** The handle of a value by name. @throws GraphBuildError when the graph has no such value. */
  value(name: string): Value {
    const found = this.#state.values.get(name);
    if (found === undefined) throw new GraphBuildError('value', `no value named "${name}" in this graph`);
    return found;
  }

  /** Whether a value name is defined in this graph. */
  has(name: string): boolean {
    return this.#state.values.has(name);
  }

  /**
   * A graph input (fed at run time). Dims are static numbers or symbolic names.
   * @throws GraphBuildError when the name is taken or a dim is invalid.
   */
  input(name: string, dtype: DataType, shape: Shape): Value {
    validateShape('input', shape);
    const value = this.#define(name, dtype, shape, 'input');
    this.#state.inputs.push(value);
    return value;
  }

  /** A named weight stored in the model (or as external data, see `serializeWithExternalData`). */
  initializer(name: string, data: TensorData): Value {
    const value = this.#define(name, data.dtype, [...data.shape], 'initializer');
    this.#state.initializers.set(name, data);
    return value;
  }

  /**
   * Declares a graph output. With a `name` different from the value's, an Identity node gives the output
   * that name. @returns the output's handle.
   */
  output(value: Value, name?: string): Value {
    this.#check('output', value);
    let result = value;
    if (name !== undefined && name !== value.name) {
      if (this.#state.usedNames.has(name)) throw new GraphBuildError('output', `the name "${name}" is already used`);
      result = this.emit('Identity', [value], [{ dtype: value.dtype, shape: value.shape }], {}, name)[0] as Value;
    }
    if (this.#state.outputs.some((existing) => existing.name === result.name)) {
      throw new GraphBuildError('output', `"${result.name}" is already an output`);
    }
    this.#state.outputs.push(result);
    return result;
  }

  /**
   * The same value with a shape stated by the caller, for dims the builder cannot infer (e.g. after a
   * reshape to a runtime shape) or two symbols the caller knows are equal. Emits nothing.
   * @throws GraphBuildError when the rank differs or a static dim contradicts the known one.
   */
  assumeShape(value: Value, shape: Shape): Value {
    this.#check('assumeShape', value);
    validateShape('assumeShape', shape);
    if (shape.length !== value.shape.length) {
      throw new GraphBuildError('assumeShape', `rank ${shape.length} differs from rank ${value.shape.length}`, [
        value.shape,
        shape,
      ]);
    }
    shape.forEach((dim, index) => {
      const known = value.shape[index] as Dim;
      if (typeof dim === 'number' && typeof known === 'number' && dim !== known) {
        throw new GraphBuildError('assumeShape', `dim ${index} is ${known}, not ${dim}`, [value.shape, shape]);
      }
    });
    return { name: value.name, dtype: value.dtype, shape: [...shape] };
  }

  /**
   * Low-level: appends one node and returns its outputs. For ops without a builder method; such a node has
   * no gradient unless its op type has one registered.
   */
  emit(
    opType: string,
    inputs: readonly (Value | undefined)[],
    outputs: readonly OutputSpec[],
    options: EmitOptions = {},
    outputName?: string,
  ): Value[] {
    for (const input of inputs) if (input !== undefined) this.#check(opType, input);
    const state = this.#state;
    const nodeName = this.#freshName(`${opType}_node`);
    const results = outputs.map((spec, index) => {
      validateShape(opType, spec.shape);
      const name = index === 0 && outputName !== undefined ? outputName : this.#freshName(opType.toLowerCase());
      return this.#define(name, spec.dtype, spec.shape, opType);
    });
    state.nodes.push({
      opType,
      ...(options.domain === undefined || options.domain === '' ? {} : { domain: options.domain }),
      name: nodeName,
      inputs: [...inputs],
      outputs: results,
      attributes: { ...(options.attributes ?? {}) },
      params: { ...(options.params ?? {}) },
    });
    return results;
  }

  /** @internal A fresh symbolic dim for a size the builder cannot infer (`unknown_<n>`). */
  freshDim(): string {
    const name = this.#freshName('unknown');
    this.#state.usedNames.add(name);
    return name;
  }

  /** @internal The dims a 0-d or 1-d int64 shape value is known to hold, if tracked. */
  knownContent(value: Value): readonly Dim[] | undefined {
    return this.#state.contents.get(value.name);
  }

  /** @internal Records what a 0-d or 1-d integer value holds. */
  setKnownContent(value: Value, content: readonly Dim[]): void {
    this.#state.contents.set(value.name, [...content]);
  }

  // ---------------------------------------------------------------- constants

  /** A Constant node holding `data` (small constants are shared: the same content yields the same value). */
  constant(data: TensorData): Value {
    const small = data.data.length <= 16;
    const key = small
      ? `${data.dtype}|${data.shape.join(',')}|${Array.from(data.data as ArrayLike<number | bigint>, String).join(',')}`
      : undefined;
    if (key !== undefined) {
      const cached = this.#state.constants.get(key);
      if (cached !== undefined) return cached;
    }
    const [value] = this.emit('Constant', [], [{ dtype: data.dtype, shape: [...data.shape] }], {
      attributes: { value: attribute.tensor(data) },
    }) as [Value];
    if (data.dtype !== 'float16' && data.dtype !== 'bool' && data.shape.length <= 1 && small) {
      this.setKnownContent(value, Array.from(data.data as ArrayLike<number | bigint>, Number));
    }
    if (key !== undefined) this.#state.constants.set(key, value);
    return value;
  }

  /** A 0-d constant of the given dtype (default float32). */
  scalar(number: number, dtype: DataType = 'float32'): Value {
    return this.constant(tensor(dtype, [], [number]));
  }

  /** A 1-d int64 constant (axes, shapes, indices). */
  int64s(values: readonly number[]): Value {
    return this.constant(tensor('int64', [values.length], values));
  }

  /** @internal The value cached under `key`, created once (e.g. one Shape node per value). */
  memoize(key: string, create: () => Value): Value {
    const cached = this.#state.memo.get(key);
    if (cached !== undefined) return cached;
    const created = create();
    this.#state.memo.set(key, created);
    return created;
  }

  /** @internal A number operand turned into a 0-d constant of `dtype`; a Value passes through. */
  lift(operand: Operand, dtype: DataType): Value {
    return typeof operand === 'number' ? this.scalar(operand, dtype) : operand;
  }

  // ---------------------------------------------------------------- elementwise

  /** `a + b` with broadcasting; a number operand becomes a constant of the other's dtype. */
  add(left: Operand, right: Operand): Value {
    return buildBinary(this, 'Add', left, right);
  }

  sub(left: Operand, right: Operand): Value {
    return buildBinary(this, 'Sub', left, right);
  }

  mul(left: Operand, right: Operand): Value {
    return buildBinary(this, 'Mul', left, right);
  }

  div(left: Operand, right: Operand): Value {
    return buildBinary(this, 'Div', left, right);
  }

  /** `x ** exponent` for a constant scalar exponent. */
  pow(x: Value, exponent: number): Value {
    return buildPow(this, x, exponent);
  }

  neg(x: Value): Value {
    return buildUnary(this, 'Neg', x);
  }

  sqrt(x: Value): Value {
    return buildUnary(this, 'Sqrt', x);
  }

  reciprocal(x: Value): Value {
    return buildUnary(this, 'Reciprocal', x);
  }

  exp(x: Value): Value {
    return buildUnary(this, 'Exp', x);
  }

  log(x: Value): Value {
    return buildUnary(this, 'Log', x);
  }

  sigmoid(x: Value): Value {
    return buildUnary(this, 'Sigmoid', x);
  }

  tanh(x: Value): Value {
    return buildUnary(this, 'Tanh', x);
  }

  identity(x: Value): Value {
    return buildUnary(this, 'Identity', x);
  }

  /** Elementwise conversion; float↔float casts carry gradients. */
  cast(x: Value, dtype: DataType): Value {
    return buildCast(this, x, dtype);
  }

  /** `a == b` (bool), broadcasting. */
  equal(left: Operand, right: Operand): Value {
    return buildCompare(this, 'Equal', left, right);
  }

  /** `a < b` (bool), broadcasting. */
  less(left: Operand, right: Operand): Value {
    return buildCompare(this, 'Less', left, right);
  }

  /** `a > b` (bool), broadcasting. */
  greater(left: Operand, right: Operand): Value {
    return buildCompare(this, 'Greater', left, right);
  }

  /** `condition ? whenTrue : whenFalse`, broadcasting all three. */
  where(condition: Value, whenTrue: Operand, whenFalse: Operand): Value {
    return buildWhere(this, condition, whenTrue, whenFalse);
  }

  // ---------------------------------------------------------------- linear algebra and reductions

  /** numpy `matmul`: batched, broadcasting batch dims; 1-d operands promoted and squeezed as numpy does. */
  matMul(left: Value, right: Value): Value {
    return buildMatMul(this, left, right);
  }

  /** Sum over `axes` (all when omitted). `keepDims` defaults to true as in ONNX. */
  reduceSum(x: Value, axes?: readonly number[], options: { keepDims?: boolean } = {}): Value {
    return buildReduce(this, 'ReduceSum', x, axes, options.keepDims ?? true);
  }

  reduceMean(x: Value, axes?: readonly number[], options: { keepDims?: boolean } = {}): Value {
    return buildReduce(this, 'ReduceMean', x, axes, options.keepDims ?? true);
  }

  /** Max over `axes`; its gradient splits evenly between tied maxima. */
  reduceMax(x: Value, axes?: readonly number[], options: { keepDims?: boolean } = {}): Value {
    return buildReduce(this, 'ReduceMax', x, axes, options.keepDims ?? true);
  }

  softmax(x: Value, axis = -1): Value {
    return buildSoftmax(this, 'Softmax', x, axis);
  }

  logSoftmax(x: Value, axis = -1): Value {
    return buildSoftmax(this, 'LogSoftmax', x, axis);
  }

  // ---------------------------------------------------------------- indexing

  /** `take(data, indices, axis)`: embedding lookup at axis 0. Gradient: a ScatterND add into zeros. */
  gather(data: Value, indices: Value, axis = 0): Value {
    return buildGather(this, data, indices, axis);
  }

  /** `take_along_axis`: output shaped like `indices`. Gradient: a ScatterElements add into zeros. */
  gatherElements(data: Value, indices: Value, axis: number): Value {
    return buildGatherElements(this, data, indices, axis);
  }

  /** ONNX GatherND (batch_dims 0). */
  gatherNd(data: Value, indices: Value): Value {
    return buildGatherNd(this, data, indices);
  }

  /** ONNX ScatterND; `reduction: 'add'` accumulates repeated indices. */
  scatterNd(data: Value, indices: Value, updates: Value, options: { reduction?: ScatterReduction } = {}): Value {
    return buildScatterNd(this, data, indices, updates, options.reduction ?? 'none');
  }

  /** ONNX ScatterElements; `reduction: 'add'` accumulates repeated indices. */
  scatterElements(
    data: Value,
    indices: Value,
    updates: Value,
    options: { axis?: number; reduction?: ScatterReduction } = {},
  ): Value {
    return buildScatterElements(this, data, indices, updates, options.axis ?? 0, options.reduction ?? 'none');
  }

  // ---------------------------------------------------------------- layout

  /**
   * ONNX Reshape. `target` is a list (0 copies the input dim, -1 is inferred) or an int64 shape value;
   * symbolic dims flow through copies and through tracked shape values.
   */
  reshape(x: Value, target: readonly number[] | Value): Value {
    return buildReshape(this, x, target);
  }

  /** Permute axes (reverse them when `perm` is omitted). */
  transpose(x: Value, perm?: readonly number[]): Value {
    return buildTranspose(this, x, perm);
  }

  /** Insert size-1 axes at `axes` (positions in the output). */
  unsqueeze(x: Value, axes: readonly number[]): Value {
    return buildUnsqueeze(this, x, axes);
  }

  /** Remove size-1 axes (all static 1s when omitted). */
  squeeze(x: Value, axes?: readonly number[]): Value {
    return buildSqueeze(this, x, axes);
  }

  /** Broadcast to `target` (a static list or an int64 shape value). Gradient: ReduceSum over broadcast axes. */
  expand(x: Value, target: readonly number[] | Value): Value {
    return buildExpand(this, x, target);
  }

  /** Join along `axis`. Gradient: Split. */
  concat(values: readonly Value[], axis: number): Value {
    return buildConcat(this, values, axis);
  }

  /** Split along `axis` into parts of the given sizes (a list, or an int64 value of known length). */
  split(x: Value, sizes: readonly number[] | Value, axis: number): Value[] {
    return buildSplit(this, x, sizes, axis);
  }

  /** numpy-style slicing with static starts/ends/steps (ONNX clamping). Gradient: Pad (step 1). */
  slice(x: Value, spec: SliceSpec): Value {
    return buildSlice(this, x, spec);
  }

  /**
   * Constant-mode Pad. `pads` is `[begin_0 … begin_{r-1}, end_0 … end_{r-1}]`, static or an int64 value
   * (then give the result shape with `assumeShape` if the dims matter).
   */
  pad(x: Value, pads: readonly number[] | Value, options: { value?: number } = {}): Value {
    return buildPad(this, x, pads, options.value ?? 0);
  }

  // ---------------------------------------------------------------- non-differentiable helpers

  /** The int64 shape vector of `x` (its content is tracked). */
  shape(x: Value): Value {
    return buildShape(this, x);
  }

  /** The int64 element count of `x` (0-d). */
  size(x: Value): Value {
    return buildSize(this, x);
  }

  /** `[start, start + delta, …)` below `limit`; numbers become 0-d constants (int64 unless `dtype`). */
  range(start: Operand, limit: Operand, delta: Operand = 1, options: { dtype?: DataType } = {}): Value {
    return buildRange(this, start, limit, delta, options.dtype);
  }

  /** A tensor of the given int64 shape filled with `fill` of `dtype` (default float32). */
  constantOfShape(shape: Value, fill = 0, dtype: DataType = 'float32'): Value {
    return buildConstantOfShape(this, shape, fill, dtype);
  }

  /** Keeps the upper (or lower) triangle of the last two axes, shifted by diagonal `k`; zeros elsewhere. */
  trilu(x: Value, options: { upper?: boolean; k?: number } = {}): Value {
    return buildTrilu(this, x, options.upper ?? true, options.k ?? 0);
  }

  // ---------------------------------------------------------------- serialization

  /** The ONNX ModelProto (protobufjs message). Nodes not needed by any output are left out. */
  toModelProto(options: ModelProtoOptions = {}): onnx.ModelProto {
    return modelProto(this, options).model;
  }

  /** The model as ONNX protobuf bytes, every initializer inline (the whole model must stay under 2 GB). */
  serialize(): Uint8Array {
    return serializeModel(this);
  }

  /**
   * The model with initializers of at least `thresholdBytes` stored as external data: each becomes one
   * in-memory file (a view of the tensor's own buffer, not a copy). Pass the files to onnxruntime as
   * `InferenceSession.create(model, { externalData: files })`. For models over 2 GB.
   */
  serializeWithExternalData(options: ExternalDataOptions = {}): SerializedModel {
    return serializeModelWithExternalData(this, options);
  }

  // ---------------------------------------------------------------- internals

  #check(op: string, value: Value): void {
    const known = this.#state.values.get(value.name);
    if (known === undefined) {
      throw new GraphBuildError(op, `value "${value.name}" does not belong to this graph`, [value.shape]);
    }
    if (known.dtype !== value.dtype) {
      throw new GraphBuildError(
        op,
        `value "${value.name}" is ${known.dtype} in this graph, the handle says ${value.dtype}`,
      );
    }
  }

  #define(name: string, dtype: DataType, shape: Shape, op: string): Value {
    if (name === '') throw new GraphBuildError(op, 'a value name must not be empty');
    if (this.#state.usedNames.has(name)) throw new GraphBuildError(op, `the name "${name}" is already used`, [shape]);
    const value: Value = { name, dtype, shape: [...shape] };
    this.#state.usedNames.add(name);
    this.#state.values.set(name, value);
    return value;
  }

  #freshName(base: string): string {
    const state = this.#state;
    let name: string;
    do {
      state.counter += 1;
      name = `${base}_${state.counter}`;
    } while (state.usedNames.has(name));
    if (!base.endsWith('_node')) return name;
    state.usedNames.add(name);
    return name;
  }
}

function validateShape(op: string, shape: Shape): void {
  for (const dim of shape) {
    const valid = typeof dim === 'number' ? Number.isInteger(dim) && dim >= 0 : typeof dim === 'string' && dim !== '';
    if (!valid) throw new GraphBuildError(op, `invalid dim ${String(dim)} in ${formatShape(shape)}`);
  }
}
