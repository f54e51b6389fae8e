import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { attribute } from '../node-record.js';
import type { Dim, Shape } from '../shape.js';
import { broadcastShapes, formatShape, normalizeAxes } from '../shape.js';
import { sumToShape } from '../sum-to-shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

/** A dim as a static factor times a multiset of symbols (`'batch*seq'` is two symbols). */
interface Factors {
  size: number;
  symbols: string[];
}

function factorize(dims: Shape): Factors {
  const factors: Factors = { size: 1, symbols: [] };
  for (const dim of dims) {
    if (typeof dim === 'number') {
      factors.size *= dim;
      continue;
    }
    for (const part of dim.split('*')) {
      const number = Number(part);
      if (part !== '' && Number.isInteger(number)) factors.size *= number;
      else factors.symbols.push(part);
    }
  }
  return factors;
}

/** `input / divisor` as a dim, or undefined when the symbols do not cancel. */
function quotient(input: Factors, divisor: Factors): Dim | undefined {
  const remaining = [...input.symbols];
  for (const symbol of divisor.symbols) {
    const index = remaining.indexOf(symbol);
    if (index < 0) return undefined;
    remaining.splice(index, 1);
  }
  if (divisor.size === 0 || input.size % divisor.size !== 0) return undefined;
  const size = input.size / divisor.size;
  if (remaining.length === 0) return size;
  return [...(size === 1 ? [] : [String(size)]), ...remaining.sort()].join('*');
}

/** The target list or shape value as dims; unknown entries become fresh symbols. */
function targetDims(
  graph: GraphBuilder,
  op: string,
  x: Value,
  target: readonly number[] | Value,
): { value: Value; dims: Dim[] } {
  if (!(target as Value).name) {
    const list = target as readonly number[];
    return { value: graph.int64s(list), dims: [...list] };
  }
  const value = target as Value;
  if (value.dtype !== 'int64' || value.shape.length !== 1 || typeof value.shape[0] !== 'number') {
    throw new GraphBuildError(
      op,
      `the target shape must be a 1-d int64 value of static length, got ${value.dtype} ${formatShape(value.shape)}`,
      [x.shape, value.shape],
    );
  }
  const content = graph.knownContent(value);
  return {
    value,
    dims: content === undefined ? Array.from({ length: value.shape[0] }, () => graph.freshDim()) : [...content],
  };
}

/** Reshape with ONNX semantics (0 copies the input dim, -1 is inferred from the element count). */
export function buildReshape(graph: GraphBuilder, x: Value, target: readonly number[] | Value): Value {
  const { value, dims } = targetDims(graph, 'Reshape', x, target);
  const shape: Dim[] = [];
  let inferred = -1;
  dims.forEach((dim, index) => {
    if (dim === 0) {
      if (index >= x.shape.length)
        throw new GraphBuildError('Reshape', `0 at position ${index} has no input dim to copy`, [x.shape, dims]);
      shape.push(x.shape[index] as Dim);
    } else if (dim === -1) {
      if (inferred >= 0) throw new GraphBuildError('Reshape', 'more than one -1 in the target shape', [x.shape, dims]);
      inferred = index;
      shape.push(-1);
    } else if (typeof dim === 'number' && (dim < -1 || !Number.isInteger(dim))) {
      throw new GraphBuildError('Reshape', `invalid target dim ${dim}`, [x.shape, dims]);
    } else {
      shape.push(dim);
    }
  });
  const input = factorize(x.shape);
  if (inferred >= 0) {
    const others = factorize(shape.filter((_, index) => index !== inferred));
    const dim = quotient(input, others);
    if (dim === undefined && input.symbols.length === 0 && others.symbols.length === 0) {
      throw new GraphBuildError('Reshape', `cannot infer -1: ${input.size} elements do not divide by ${others.size}`, [
        x.shape,
        dims,
      ]);
    }
    shape[inferred] = dim ?? graph.freshDim();
  } else {
    const output = factorize(shape);
    const sameSymbols = [...input.symbols].sort().join('*') === [...output.symbols].sort().join('*');
    if (sameSymbols && input.size !== output.size) {
      throw new GraphBuildError(
        'Reshape',
        `cannot reshape ${input.size === 0 ? 'an empty tensor' : 'the elements'} of ${formatShape(x.shape)} to ${formatShape(shape)}`,
        [x.shape, shape],
      );
    }
  }
  return graph.emit('Reshape', [x, value], [{ dtype: x.dtype, shape }])[0] as Value;
}

/** Transpose by `perm` (reversed axes when omitted). */
export function buildTranspose(graph: GraphBuilder, x: Value, perm?: readonly number[]): Value {
  const rank = x.shape.length;
  const order = perm === undefined ? Array.from({ length: rank }, (_, axis) => rank - 1 - axis) : [...perm];
  const sorted = [...order].sort((left, right) => left - right);
  if (order.length !== rank || !sorted.every((axis, index) => axis === index)) {
    throw new GraphBuildError('Transpose', `perm [${order.join(', ')}] is not a permutation of ${rank} axes`, [
      x.shape,
    ]);
  }
  const shape = order.map((axis) => x.shape[axis] as Dim);
  return graph.emit('Transpose', [x], [{ dtype: x.dtype, shape }], {
    attributes: { perm: attribute.ints(order) },
    params: { perm: order },
  })[0] as Value;
}

/** Unsqueeze (axes as an input, opset 13+); axes index the output. */
export function buildUnsqueeze(graph: GraphBuilder, x: Value, axes: readonly number[]): Value {
  const outputRank = x.shape.length + axes.length;
  const normalized = normalizeAxes('Unsqueeze', axes, outputRank, [x.shape]);
  const shape: Dim[] = [];
  let next = 0;
  for (let axis = 0; axis < outputRank; axis += 1) shape.push(normalized.includes(axis) ? 1 : (x.shape[next++] as Dim));
  const [result] = graph.emit('Unsqueeze', [x, graph.int64s(normalized)], [{ dtype: x.dtype, shape }], {
    params: { axes: normalized },
  }) as [Value];
  const content = graph.knownContent(x);
  if (content !== undefined && shape.length === 1) graph.setKnownContent(result, content);
  return result;
}

/** Squeeze (axes as an input, opset 13+). Without axes: every static 1 (never a symbolic dim). */
export function buildSqueeze(graph: GraphBuilder, x: Value, axes?: readonly number[]): Value {
  const normalized =
    axes === undefined
      ? x.shape.flatMap((dim, axis) => (dim === 1 ? [axis] : []))
      : normalizeAxes('Squeeze', axes, x.shape.length, [x.shape]);
  for (const axis of normalized) {
    const dim = x.shape[axis] as Dim;
    if (typeof dim === 'number' && dim !== 1) {
      throw new GraphBuildError('Squeeze', `axis ${axis} has size ${dim}, not 1`, [x.shape]);
    }
  }
  if (normalized.length === 0) return graph.identity(x);
  const shape = x.shape.filter((_, axis) => !normalized.includes(axis));
  const [result] = graph.emit('Squeeze', [x, graph.int64s(normalized)], [{ dtype: x.dtype, shape }], {
    params: { axes: normalized },
  }) as [Value];
  const content = graph.knownContent(x);
  if (content !== undefined && shape.length === 0) graph.setKnownContent(result, content);
  return result;
}

/** Expand (bidirectional broadcast to a target shape). */
export function buildExpand(graph: GraphBuilder, x: Value, target: readonly number[] | Value): Value {
  const { value, dims } = targetDims(graph, 'Expand', x, target);
  const known = (target as Value).name === undefined || graph.knownContent(target as Value) !== undefined;
  let shape: Dim[];
  if (known) {
    shape = broadcastShapes('Expand', [x.shape, dims]);
  } else {
    const rank = Math.max(x.shape.length, dims.length);
    shape = Array.from({ length: rank }, (_, position) => {
      const dim = x.shape[x.shape.length - rank + position];
      return dim === undefined || dim === 1 ? (dims[dims.length - rank + position] ?? 1) : dim;
    });
  }
  return graph.emit('Expand', [x, value], [{ dtype: x.dtype, shape }])[0] as Value;
}

export const reshapeGradients: Record<string, VectorJacobianProduct> = {
  // y = reshape(x):  dx = reshape(g, shape(x))
  Reshape: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    return [graph.reshape(outputGradients[0] as Value, graph.shape(x)), undefined];
  },
  // y = transpose(x, perm):  dx = transpose(g, perm⁻¹)
  Transpose: ({ graph, node, outputGradients }) => {
    const perm = node.params.perm as number[];
    const inverse = new Array<number>(perm.length);
    perm.forEach((source, target) => {
      inverse[source] = target;
    });
    return [graph.transpose(outputGradients[0] as Value, inverse)];
  },
  // y = unsqueeze(x, axes):  dx = squeeze(g, axes)
  Unsqueeze: ({ graph, node, outputGradients }) => [
    graph.squeeze(outputGradients[0] as Value, node.params.axes as number[]),
    undefined,
  ],
  // y = squeeze(x, axes):  dx = unsqueeze(g, axes)
  Squeeze: ({ graph, node, outputGradients }) => [
    graph.unsqueeze(outputGradients[0] as Value, node.params.axes as number[]),
    undefined,
  ],
  // y = expand(x, shape):  dx = g summed over the broadcast axes
  Expand: ({ graph, node, outputGradients }) => [
    sumToShape(graph, outputGradients[0] as Value, node.inputs[0] as Value),
    undefined,
  ],
};
