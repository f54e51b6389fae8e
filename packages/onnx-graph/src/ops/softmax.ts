import { isFloatingType } from '../data-type.js';
import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { attribute } from '../node-record.js';
import { normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

/** Softmax / LogSoftmax along one axis (opset 13 semantics). */
export function buildSoftmax(graph: GraphBuilder, op: 'Softmax' | 'LogSoftmax', x: Value, axis: number): Value {
  if (!isFloatingType(x.dtype)) throw new GraphBuildError(op, `dtype ${x.dtype} is not floating point`, [x.shape]);
  const normalized = normalizeAxis(op, axis, x.shape.length, [x.shape]);
  return graph.emit(op, [x], [{ dtype: x.dtype, shape: x.shape }], {
    attributes: { axis: attribute.int(normalized) },
    params: { axis: normalized },
  })[0] as Value;
}

export const softmaxGradients: Record<string, VectorJacobianProduct> = {
  // y = softmax(x):  dx = y * (g - sum(g * y))   (sums along the axis, kept)
  Softmax: ({ graph, node, outputGradients }) => {
    const y = node.outputs[0] as Value;
    const g = outputGradients[0] as Value;
    const axis = node.params.axis as number;
    const dot = graph.reduceSum(graph.mul(g, y), [axis], { keepDims: true });
    return [graph.mul(y, graph.sub(g, dot))];
  },
  // y = log_softmax(x):  dx = g - exp(y) * sum(g)
  LogSoftmax: ({ graph, node, outputGradients }) => {
    const y = node.outputs[0] as Value;
    const g = outputGradients[0] as Value;
    const axis = node.params.axis as number;
    const total = graph.reduceSum(g, [axis], { keepDims: true });
    return [graph.sub(g, graph.mul(graph.exp(y), total))];
  },
};
