import { isNumericType } from '../data-type.js';
import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { attribute } from '../node-record.js';
import type { Dim } from '../shape.js';
import { normalizeAxes } from '../shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax';

/**
 * Reduction over `axes` (all axes when omitted). Axes travel as an int64 input for ReduceSum (opset 13+)
 * and for every reduce op from opset 18; below 18 ReduceMean/ReduceMax take an `axes` attribute.
 */
export function buildReduce(
  graph: GraphBuilder,
  op: ReduceOp,
  x: Value,
  axes: readonly number[] | undefined,
  keepDims: boolean,
): Value {
  if (!isNumericType(x.dtype)) throw new GraphBuildError(op, `dtype ${x.dtype} is not numeric`, [x.shape]);
  const rank = x.shape.length;
  const normalized =
    axes === undefined ? Array.from({ length: rank }, (_, axis) => axis) : normalizeAxes(op, axes, rank, [x.shape]);
  const shape: Dim[] = [];
  x.shape.forEach((dim, axis) => {
    if (!normalized.includes(axis)) shape.push(dim);
    else if (keepDims) shape.push(1);
  });
  const axesAsInput = op === 'ReduceSum' || graph.opset >= 18;
  const attributes = {
    keepdims: attribute.int(keepDims ? 1 : 0),
    ...(axesAsInput || normalized.length === 0 ? {} : { axes: attribute.ints(normalized) }),
  };
  const inputs = axesAsInput ? [x, graph.int64s(normalized)] : [x];
  return graph.emit(op, inputs, [{ dtype: x.dtype, shape }], {
    attributes,
    params: { axes: normalized, keepDims },
  })[0] as Value;
}

/** The upstream gradient with the reduced axes restored as size 1, broadcast to x's shape. */
function spread(graph: GraphBuilder, g: Value, x: Value, axes: readonly number[], keepDims: boolean): Value {
  const kept = keepDims || axes.length === 0 ? g : graph.unsqueeze(g, axes);
  return graph.expand(kept, graph.shape(x));
}

/** The number of elements each output element averages, as a 0-d value of x's dtype. */
function reducedCount(graph: GraphBuilder, x: Value, y: Value, axes: readonly number[]): Value {
  const dims = axes.map((axis) => x.shape[axis] as Dim);
  if (dims.every((dim) => typeof dim === 'number')) {
    return graph.scalar(
      (dims as number[]).reduce((product, dim) => product * dim, 1),
      x.dtype,
    );
  }
  return graph.cast(graph.div(graph.size(x), graph.size(y)), x.dtype);
}

export const reduceGradients: Record<string, VectorJacobianProduct> = {
  // y = sum_axes(x):  dx = broadcast(g)
  ReduceSum: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    const { axes, keepDims } = node.params as { axes: number[]; keepDims: boolean };
    return [spread(graph, outputGradients[0] as Value, x, axes, keepDims), undefined];
  },
  // y = mean_axes(x):  dx = broadcast(g) / n, n = elements per mean (Size(x) / Size(y) when symbolic)
  ReduceMean: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    const { axes, keepDims } = node.params as { axes: number[]; keepDims: boolean };
    const count = reducedCount(graph, x, node.outputs[0] as Value, axes);
    return [graph.div(spread(graph, outputGradients[0] as Value, x, axes, keepDims), count), undefined];
  },
  // y = max_axes(x):  dx = g * [x == y] / #ties  (ties share the gradient evenly)
  ReduceMax: ({ graph, node, outputGradients }) => {
    const x = node.inputs[0] as Value;
    const y = node.outputs[0] as Value;
    const { axes, keepDims } = node.params as { axes: number[]; keepDims: boolean };
    const yKept = keepDims || axes.length === 0 ? y : graph.unsqueeze(y, axes);
    const mask = graph.cast(graph.equal(x, yKept), x.dtype);
    const ties = graph.reduceSum(mask, axes, { keepDims: true });
    const g = outputGradients[0] as Value;
    const gKept = keepDims || axes.length === 0 ? g : graph.unsqueeze(g, axes);
    return [graph.mul(mask, graph.div(gKept, ties)), undefined];
  },
};
