import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { attribute } from '../node-record.js';
import type { Dim } from '../shape.js';
import { formatShape, normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

/** How a scatter combines an update with the existing element (ONNX `reduction`, opset 16+). */
export type ScatterReduction = 'none' | 'add' | 'mul';

function checkIndices(op: string, indices: Value, shapes: readonly (readonly Dim[])[]): void {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new GraphBuildError(op, `indices must be int64 or int32, got ${indices.dtype}`, shapes);
  }
}

function dimsMatch(left: Dim, right: Dim): boolean {
  return left === right || typeof left !== typeof right;
}

/** Gather: `data[:axis] + indices.shape + data[axis+1:]`. Tracks content when gathering from a shape vector. */
export function buildGather(graph: GraphBuilder, data: Value, indices: Value, axis: number): Value {
  const shapes = [data.shape, indices.shape];
  checkIndices('Gather', indices, shapes);
  if (data.shape.length === 0) throw new GraphBuildError('Gather', 'data must have rank 1 or more', shapes);
  const normalized = normalizeAxis('Gather', axis, data.shape.length, shapes);
  const shape = [...data.shape.slice(0, normalized), ...indices.shape, ...data.shape.slice(normalized + 1)];
  const [result] = graph.emit('Gather', [data, indices], [{ dtype: data.dtype, shape }], {
    attributes: { axis: attribute.int(normalized) },
    params: { axis: normalized },
  }) as [Value];
  const content = graph.knownContent(data);
  const picks = graph.knownContent(indices);
  if (content !== undefined && picks !== undefined && data.shape.length === 1 && indices.shape.length <= 1) {
    const picked = picks.map((pick) =>
      typeof pick === 'number' ? content[pick < 0 ? pick + content.length : pick] : undefined,
    );
    if (picked.every((dim) => dim !== undefined)) graph.setKnownContent(result, picked as Dim[]);
  }
  return result;
}

/** GatherElements (`take_along_axis`): output shaped like `indices`. */
export function buildGatherElements(graph: GraphBuilder, data: Value, indices: Value, axis: number): Value {
  const shapes = [data.shape, indices.shape];
  checkIndices('GatherElements', indices, shapes);
  if (data.shape.length !== indices.shape.length || data.shape.length === 0) {
    throw new GraphBuildError('GatherElements', 'data and indices must have the same rank (1 or more)', shapes);
  }
  const normalized = normalizeAxis('GatherElements', axis, data.shape.length, shapes);
  return graph.emit('GatherElements', [data, indices], [{ dtype: data.dtype, shape: indices.shape }], {
    attributes: { axis: attribute.int(normalized) },
    params: { axis: normalized },
  })[0] as Value;
}

/** GatherND with batch_dims 0: `indices.shape[:-1] + data.shape[k:]`, k = indices' last dim (static). */
export function buildGatherNd(graph: GraphBuilder, data: Value, indices: Value): Value {
  const shapes = [data.shape, indices.shape];
  if (indices.dtype !== 'int64')
    throw new GraphBuildError('GatherND', `indices must be int64, got ${indices.dtype}`, shapes);
  const depth = indices.shape[indices.shape.length - 1];
  if (typeof depth !== 'number' || depth > data.shape.length) {
    throw new GraphBuildError(
      'GatherND',
      'the last dim of indices must be static and at most the rank of data',
      shapes,
    );
  }
  const shape = [...indices.shape.slice(0, -1), ...data.shape.slice(depth)];
  return graph.emit('GatherND', [data, indices], [{ dtype: data.dtype, shape }])[0] as Value;
}

/** ScatterND: `data` with `updates` written (or combined) at the index tuples of `indices`. */
export function buildScatterNd(
  graph: GraphBuilder,
  data: Value,
  indices: Value,
  updates: Value,
  reduction: ScatterReduction,
): Value {
  const shapes = [data.shape, indices.shape, updates.shape];
  if (indices.dtype !== 'int64')
    throw new GraphBuildError('ScatterND', `indices must be int64, got ${indices.dtype}`, shapes);
  if (updates.dtype !== data.dtype)
    throw new GraphBuildError('ScatterND', `updates are ${updates.dtype}, data is ${data.dtype}`, shapes);
  const depth = indices.shape[indices.shape.length - 1];
  if (typeof depth !== 'number' || depth > data.shape.length) {
    throw new GraphBuildError(
      'ScatterND',
      'the last dim of indices must be static and at most the rank of data',
      shapes,
    );
  }
  const expected = [...indices.shape.slice(0, -1), ...data.shape.slice(depth)];
  if (
    expected.length !== updates.shape.length ||
    !expected.every((dim, index) => dimsMatch(dim, updates.shape[index] as Dim))
  ) {
    throw new GraphBuildError('ScatterND', `updates must have shape ${formatShape(expected)}`, shapes);
  }
  return graph.emit('ScatterND', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], {
    attributes: reduction === 'none' ? {} : { reduction: attribute.string(reduction) },
    params: { reduction },
  })[0] as Value;
}

/** ScatterElements: `data` with `updates[i]` written (or combined) at `indices[i]` along `axis`. */
export function buildScatterElements(
  graph: GraphBuilder,
  data: Value,
  indices: Value,
  updates: Value,
  axis: number,
  reduction: ScatterReduction,
): Value {
  const shapes = [data.shape, indices.shape, updates.shape];
  checkIndices('ScatterElements', indices, shapes);
  if (updates.dtype !== data.dtype)
    throw new GraphBuildError('ScatterElements', `updates are ${updates.dtype}, data is ${data.dtype}`, shapes);
  const sameRank = data.shape.length === indices.shape.length && indices.shape.length === updates.shape.length;
  if (!sameRank || !indices.shape.every((dim, index) => dimsMatch(dim, updates.shape[index] as Dim))) {
    throw new GraphBuildError(
      'ScatterElements',
      'data, indices and updates need one rank; indices and updates one shape',
      shapes,
    );
  }
  const normalized = normalizeAxis('ScatterElements', axis, data.shape.length, shapes);
  return graph.emit('ScatterElements', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], {
    attributes: {
      axis: attribute.int(normalized),
      ...(reduction === 'none' ? {} : { reduction: attribute.string(reduction) }),
    },
    params: { axis: normalized, reduction },
  })[0] as Value;
}

function zerosLike(graph: GraphBuilder, x: Value): Value {
  return graph.constantOfShape(graph.shape(x), 0, x.dtype);
}

function asInt64(graph: GraphBuilder, indices: Value): Value {
  return indices.dtype === 'int64' ? indices : graph.cast(indices, 'int64');
}

function unsupportedReduction(op: string, reduction: ScatterReduction): never {
  throw new GraphBuildError(op, `no gradient for reduction "${reduction}"`);
}

export const gatherGradients: Record<string, VectorJacobianProduct> = {
  // y = take(data, idx, axis):  d data = scatter-add of g into zeros at idx (never a one-hot matmul).
  // Axis 0 scatters g directly; another axis moves that axis to the front, scatters, and moves it back.
  Gather: ({ graph, node, outputGradients }) => {
    const data = node.inputs[0] as Value;
    const indices = asInt64(graph, node.inputs[1] as Value);
    const g = outputGradients[0] as Value;
    const axis = node.params.axis as number;
    const rank = data.shape.length;
    const tupleIndices = graph.unsqueeze(indices, [indices.shape.length]);
    if (axis === 0) return [graph.scatterNd(zerosLike(graph, data), tupleIndices, g, { reduction: 'add' }), undefined];
    const dataPerm = [axis, ...Array.from({ length: rank }, (_, index) => index).filter((index) => index !== axis)];
    const zeros = graph.constantOfShape(graph.gather(graph.shape(data), graph.int64s(dataPerm)), 0, data.dtype);
    const q = indices.shape.length;
    const gPerm = [
      ...Array.from({ length: q }, (_, index) => axis + index),
      ...Array.from({ length: axis }, (_, index) => index),
      ...Array.from({ length: rank - axis - 1 }, (_, index) => axis + q + index),
    ];
    const scattered = graph.scatterNd(zeros, tupleIndices, graph.transpose(g, gPerm), { reduction: 'add' });
    const inverse = new Array<number>(rank);
    dataPerm.forEach((source, target) => {
      inverse[source] = target;
    });
    return [graph.assumeShape(graph.transpose(scattered, inverse), data.shape), undefined];
  },
  // y = take_along_axis(data, idx, axis):  d data = ScatterElements-add of g into zeros
  GatherElements: ({ graph, node, outputGradients }) => {
    const data = node.inputs[0] as Value;
    const axis = node.params.axis as number;
    const g = outputGradients[0] as Value;
    return [
      graph.scatterElements(zerosLike(graph, data), node.inputs[1] as Value, g, { axis, reduction: 'add' }),
      undefined,
    ];
  },
  // y = gather_nd(data, idx):  d data = ScatterND-add of g into zeros
  GatherND: ({ graph, node, outputGradients }) => {
    const data = node.inputs[0] as Value;
    return [
      graph.scatterNd(zerosLike(graph, data), node.inputs[1] as Value, outputGradients[0] as Value, {
        reduction: 'add',
      }),
      undefined,
    ];
  },
  // y = scatter_nd(data, idx, u):  d data = g (zeroed where overwritten), d u = gather_nd(g, idx)
  ScatterND: ({ graph, node, outputGradients, needsGradient }) => {
    const [, indices, updates] = node.inputs as [Value, Value, Value];
    const reduction = node.params.reduction as ScatterReduction;
    if (reduction === 'mul') unsupportedReduction('ScatterND', reduction);
    const g = outputGradients[0] as Value;
    const dData = needsGradient[0]
      ? reduction === 'add'
        ? g
        : graph.scatterNd(g, indices, zerosLike(graph, updates))
      : undefined;
    return [dData, undefined, needsGradient[2] ? graph.gatherNd(g, indices) : undefined];
  },
  // y = scatter_elements(data, idx, u, axis):  d data = g (zeroed where overwritten), d u = take_along_axis(g, idx)
  ScatterElements: ({ graph, node, outputGradients, needsGradient }) => {
    const [, indices, updates] = node.inputs as [Value, Value, Value];
    const { axis, reduction } = node.params as { axis: number; reduction: ScatterReduction };
    if (reduction === 'mul') unsupportedReduction('ScatterElements', reduction);
    const g = outputGradients[0] as Value;
    const dData = needsGradient[0]
      ? reduction === 'add'
        ? g
        : graph.scatterElements(g, indices, zerosLike(graph, updates), { axis })
      : undefined;
    return [dData, undefined, needsGradient[2] ? graph.gatherElements(g, indices, axis) : undefined];
  },
};
