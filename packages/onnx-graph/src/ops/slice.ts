import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import type { Dim } from '../shape.js';
import { normalizeAxes, normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

/**
 * numpy-style slicing: for each of `axes` (default `0…starts.length-1`), `starts[i]:ends[i]:steps[i]`.
 * Negative starts/ends count from the end; `Infinity` / `-Infinity` mean "through the end" / "through the start".
 */
export interface SliceSpec {
  starts: readonly number[];
  ends: readonly number[];
  axes?: readonly number[];
  steps?: readonly number[];
}

/** The largest bound ONNX receives for an open end (a safe integer; onnxruntime clamps it). */
const openEnd = Number.MAX_SAFE_INTEGER;

function bound(value: number): number {
  if (value === Infinity) return openEnd;
  if (value === -Infinity) return -openEnd;
  return value;
}

function dimsMatch(left: Dim, right: Dim): boolean {
  return left === right || typeof left !== typeof right;
}

function sumDims(dims: readonly Dim[]): Dim {
  if (dims.every((dim) => typeof dim === 'number')) return (dims as number[]).reduce((total, dim) => total + dim, 0);
  const statics = (dims.filter((dim) => typeof dim === 'number') as number[]).reduce((total, dim) => total + dim, 0);
  const symbols = dims.filter((dim) => typeof dim === 'string');
  return [...symbols, ...(statics === 0 ? [] : [String(statics)])].join('+');
}

/** Concat along `axis`; other dims must agree. The axis dim is a sum (a `'a+b'` symbol when symbolic). */
export function buildConcat(graph: GraphBuilder, values: readonly Value[], axis: number): Value {
  const shapes = values.map((value) => value.shape);
  const first = values[0];
  if (first === undefined) throw new GraphBuildError('Concat', 'needs at least one value');
  const rank = first.shape.length;
  const normalized = normalizeAxis('Concat', axis, rank, shapes);
  const shape: Dim[] = [...first.shape];
  for (const value of values) {
    if (value.dtype !== first.dtype)
      throw new GraphBuildError('Concat', `dtypes differ: ${first.dtype} and ${value.dtype}`, shapes);
    if (value.shape.length !== rank) throw new GraphBuildError('Concat', 'ranks differ', shapes);
    value.shape.forEach((dim, index) => {
      if (index === normalized) return;
      const current = shape[index] as Dim;
      if (!dimsMatch(current, dim))
        throw new GraphBuildError('Concat', `dim ${index} differs: ${String(current)} and ${String(dim)}`, shapes);
      if (typeof dim === 'number') shape[index] = dim;
    });
  }
  shape[normalized] = sumDims(values.map((value) => value.shape[normalized] as Dim));
  const [result] = graph.emit('Concat', [...values], [{ dtype: first.dtype, shape }], {
    attributes: { axis: { kind: 'int', value: normalized } },
    params: { axis: normalized },
  }) as [Value];
  const contents = values.map((value) => graph.knownContent(value));
  if (rank === 1 && contents.every((content) => content !== undefined))
    graph.setKnownContent(result, contents.flat() as Dim[]);
  return result;
}

/** Split along `axis` into parts of `sizes` (a list, or an int64 value whose length is static). */
export function buildSplit(graph: GraphBuilder, x: Value, sizes: readonly number[] | Value, axis: number): Value[] {
  const normalized = normalizeAxis('Split', axis, x.shape.length, [x.shape]);
  let sizesValue: Value;
  let parts: Dim[];
  if ((sizes as Value).name === undefined) {
    parts = [...(sizes as readonly number[])];
    sizesValue = graph.int64s(parts as number[]);
    const dim = x.shape[normalized] as Dim;
    const total = (parts as number[]).reduce((sum, part) => sum + part, 0);
    if (typeof dim === 'number' && total !== dim) {
      throw new GraphBuildError('Split', `sizes [${parts.join(', ')}] add up to ${total}, not ${dim}`, [x.shape]);
    }
  } else {
    sizesValue = sizes as Value;
    const length = sizesValue.shape[0];
    if (sizesValue.dtype !== 'int64' || sizesValue.shape.length !== 1 || typeof length !== 'number') {
      throw new GraphBuildError('Split', 'sizes must be a 1-d int64 value of static length', [
        x.shape,
        sizesValue.shape,
      ]);
    }
    parts = [...(graph.knownContent(sizesValue) ?? Array.from({ length }, () => graph.freshDim()))];
  }
  const outputs = parts.map((part) => ({
    dtype: x.dtype,
    shape: x.shape.map((dim, index) => (index === normalized ? part : dim)),
  }));
  return graph.emit('Split', [x, sizesValue], outputs, {
    attributes: { axis: { kind: 'int', value: normalized } },
    params: { axis: normalized },
  });
}

interface NormalizedSlice {
  axes: number[];
  starts: number[];
  ends: number[];
  steps: number[];
}

function sliceLength(graph: GraphBuilder, dim: Dim, start: number, end: number, step: number): Dim {
  if (typeof dim === 'number') {
    if (step > 0) {
      const from = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
      const to = Math.min(Math.max(end < 0 ? end + dim : end, 0), dim);
      return Math.max(0, Math.ceil((to - from) / step));
    }
    const from = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim - 1);
    const to = Math.min(Math.max(end < 0 ? end + dim : end, -1), dim - 1);
    return Math.max(0, Math.ceil((from - to) / -step));
  }
  if (step !== 1) return graph.freshDim();
  const toEnd = end >= openEnd;
  if (start >= 0 && toEnd) return start === 0 ? dim : `${dim}-${start}`;
  if (start < 0 && toEnd) return -start;
  if (start >= 0 && end < 0) return `${dim}-${start - end}`;
  if (start < 0 && end < 0) return Math.max(0, end - start);
  if (start >= 0) return Math.max(0, end - start);
  return graph.freshDim();
}

export function buildSlice(graph: GraphBuilder, x: Value, spec: SliceSpec): Value {
  const count = spec.starts.length;
  const axes = spec.axes ?? Array.from({ length: count }, (_, index) => index);
  const steps = spec.steps ?? Array.from({ length: count }, () => 1);
  if (spec.ends.length !== count || axes.length !== count || steps.length !== count) {
    throw new GraphBuildError('Slice', 'starts, ends, axes and steps must have one length', [x.shape]);
  }
  if (steps.some((step) => step === 0 || !Number.isInteger(step)))
    throw new GraphBuildError('Slice', 'steps must be non-zero integers', [x.shape]);
  const normalizedAxes = axes.map((axis) => normalizeAxis('Slice', axis, x.shape.length, [x.shape]));
  normalizeAxes('Slice', normalizedAxes, x.shape.length, [x.shape]);
  const normalized: NormalizedSlice = {
    axes: normalizedAxes,
    starts: spec.starts.map(bound),
    ends: spec.ends.map(bound),
    steps: [...steps],
  };
  const shape = [...x.shape];
  normalized.axes.forEach((axis, index) => {
    shape[axis] = sliceLength(
      graph,
      x.shape[axis] as Dim,
      normalized.starts[index] as number,
      normalized.ends[index] as number,
      normalized.steps[index] as number,
    );
  });
  const inputs = [
    x,
    graph.int64s(normalized.starts),
    graph.int64s(normalized.ends),
    graph.int64s(normalized.axes),
    graph.int64s(normalized.steps),
  ];
  const [result] = graph.emit('Slice', inputs, [{ dtype: x.dtype, shape }], { params: { ...normalized } }) as [Value];
  const content = graph.knownContent(x);
  if (content !== undefined && x.shape.length === 1 && normalized.steps[0] === 1) {
    const length = content.length;
    const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + length : value, 0), length);
    graph.setKnownContent(
      result,
      content.slice(clamp(normalized.starts[0] as number), clamp(normalized.ends[0] as number)),
    );
  }
  return result;
}

/** Constant-mode Pad; `pads` = `[begins…, ends…]`. */
export function buildPad(graph: GraphBuilder, x: Value, pads: readonly number[] | Value, fill: number): Value {
  const rank = x.shape.length;
  let padsValue: Value;
  let shape: Dim[];
  let staticPads: number[] | undefined;
  if ((pads as Value).name === undefined) {
    staticPads = [...(pads as readonly number[])];
    if (staticPads.length !== 2 * rank || staticPads.some((pad) => !Number.isInteger(pad))) {
      throw new GraphBuildError('Pad', `pads must be ${2 * rank} integers, got [${staticPads.join(', ')}]`, [x.shape]);
    }
    padsValue = graph.int64s(staticPads);
    shape = x.shape.map((dim, axis) => {
      const extra = (staticPads?.[axis] as number) + (staticPads?.[axis + rank] as number);
      if (typeof dim === 'number') {
        if (dim + extra < 0) throw new GraphBuildError('Pad', `pads crop axis ${axis} below zero`, [x.shape]);
        return dim + extra;
      }
      return extra === 0 ? dim : `${dim}${extra > 0 ? '+' : ''}${extra}`;
    });
  } else {
    padsValue = pads as Value;
    if (
      padsValue.dtype !== 'int64' ||
      padsValue.shape.length !== 1 ||
      (typeof padsValue.shape[0] === 'number' && padsValue.shape[0] !== 2 * rank)
    ) {
      throw new GraphBuildError('Pad', `pads must be a 1-d int64 value of length ${2 * rank}`, [
        x.shape,
        padsValue.shape,
      ]);
    }
    shape = x.shape.map(() => graph.freshDim());
  }
  const inputs = fill === 0 ? [x, padsValue] : [x, padsValue, graph.scalar(fill, x.dtype)];
  return graph.emit('Pad', inputs, [{ dtype: x.dtype, shape }], { params: { pads: staticPads } })[0] as Value;
}

export const sliceGradients: Record<string, VectorJacobianProduct> = {
  // y = concat(x_0 … x_n, axis):  dx_i = split(g, sizes of x_i along axis)
  Concat: ({ graph, node, outputGradients, needsGradient }) => {
    const axis = node.params.axis as number;
    const inputs = node.inputs as Value[];
    const dims = inputs.map((input) => input.shape[axis] as Dim);
    const sizes = dims.every((dim) => typeof dim === 'number')
      ? (dims as number[])
      : graph.concat(
          inputs.map((input) => graph.slice(graph.shape(input), { starts: [axis], ends: [axis + 1] })),
          0,
        );
    const parts = graph.split(outputGradients[0] as Value, sizes, axis);
    return parts.map((part, index) =>
      needsGradient[index] ? graph.assumeShape(part, (inputs[index] as Value).shape) : undefined,
    );
  },
  // (y_0 … y_n) = split(x, axis):  dx = concat(g_0 … g_n), zeros for parts without gradient
  Split: ({ graph, node, outputGradients }) => {
    const axis = node.params.axis as number;
    const parts = node.outputs.map(
      (output, index) => outputGradients[index] ?? graph.constantOfShape(graph.shape(output), 0, output.dtype),
    );
    return [graph.assumeShape(graph.concat(parts, axis), (node.inputs[0] as Value).shape), undefined];
  },
  // y = x[starts:ends] (step 1):  dx = pad(g) with zeros before and after the slice.
  // For a symbolic dim the pads are `constant + coefficient * dim`, computed from Shape(x) at run time.
  Slice: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    const { axes, starts, ends, steps } = node.params as unknown as NormalizedSlice;
    if (steps.some((step) => step !== 1))
      throw new GraphBuildError('Slice', 'the gradient supports step 1 only', [x.shape]);
    const rank = x.shape.length;
    const constant = new Array<number>(2 * rank).fill(0);
    const coefficient = new Array<number>(2 * rank).fill(0);
    axes.forEach((axis, index) => {
      const dim = x.shape[axis] as Dim;
      const start = starts[index] as number;
      const end = ends[index] as number;
      if (typeof dim === 'number') {
        const from = Math.min(Math.max(start < 0 ? start + dim : start, 0), dim);
        const to = Math.max(Math.min(Math.max(end < 0 ? end + dim : end, 0), dim), from);
        constant[axis] = from;
        constant[axis + rank] = dim - to;
        return;
      }
      constant[axis] = start;
      coefficient[axis] = start < 0 ? 1 : 0;
      if (end >= openEnd) return;
      constant[axis + rank] = -end;
      coefficient[axis + rank] = end >= 0 ? 1 : 0;
    });
    const g = outputGradients[0] as Value;
    const pads = coefficient.every((value) => value === 0)
      ? constant
      : graph.add(
          graph.int64s(constant),
          graph.mul(graph.int64s(coefficient), graph.concat([graph.shape(x), graph.shape(x)], 0)),
        );
    return [graph.assumeShape(graph.pad(g, pads), x.shape), undefined, undefined, undefined, undefined];
  },
  // y = pad(x, pads) (constant mode, pads ≥ 0):  dx = g[begin : begin + dim] on every axis
  Pad: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    const pads = node.params.pads as number[] | undefined;
    if (pads === undefined || pads.some((pad) => pad < 0)) {
      throw new GraphBuildError('Pad', 'the gradient needs static, non-negative pads', [x.shape]);
    }
    const rank = x.shape.length;
    const axes = Array.from({ length: rank }, (_, axis) => axis);
    const sliced = graph.slice(outputGradients[0] as Value, {
      axes,
      starts: axes.map((axis) => pads[axis] as number),
      ends: axes.map((axis) => ((pads[axis + rank] as number) > 0 ? -(pads[axis + rank] as number) : Infinity)),
    });
    return [graph.assumeShape(sliced, x.shape), undefined, undefined];
  },
};
