import { isNumericType } from '../data-type.js';
import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import type { Dim } from '../shape.js';
import { broadcastShapes } from '../shape.js';
import { sumToShape } from '../sum-to-shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

function innerDimsMatch(left: Dim, right: Dim): boolean {
  return left === right || typeof left !== typeof right;
}

/**
 * numpy matmul: `[..., m, k] @ [..., k, n] -> [..., m, n]`, batch dims broadcast; a 1-d left operand is
 * `[1, k]` with that axis dropped from the result, a 1-d right operand is `[k, 1]` likewise.
 */
export function buildMatMul(graph: GraphBuilder, left: Value, right: Value): Value {
  const shapes = [left.shape, right.shape];
  if (left.dtype !== right.dtype)
    throw new GraphBuildError('MatMul', `operand dtypes differ: ${left.dtype} and ${right.dtype}`, shapes);
  if (!isNumericType(left.dtype)) throw new GraphBuildError('MatMul', `dtype ${left.dtype} is not numeric`, shapes);
  if (left.shape.length === 0 || right.shape.length === 0)
    throw new GraphBuildError('MatMul', 'operands must have rank 1 or more', shapes);
  const a = left.shape.length === 1 ? [1, ...left.shape] : [...left.shape];
  const b = right.shape.length === 1 ? [...right.shape, 1] : [...right.shape];
  const k = a[a.length - 1] as Dim;
  const kRight = b[b.length - 2] as Dim;
  if (!innerDimsMatch(k, kRight)) {
    throw new GraphBuildError('MatMul', `inner dims differ: ${String(k)} and ${String(kRight)}`, shapes);
  }
  const batch = broadcastShapes('MatMul', [a.slice(0, -2), b.slice(0, -2)]);
  const shape: Dim[] = [...batch];
  if (left.shape.length > 1) shape.push(a[a.length - 2] as Dim);
  if (right.shape.length > 1) shape.push(b[b.length - 1] as Dim);
  return graph.emit('MatMul', [left, right], [{ dtype: left.dtype, shape }])[0] as Value;
}

function swapLastTwo(graph: GraphBuilder, x: Value): Value {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, axis) => axis);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return graph.transpose(x, perm);
}

export const matMulGradients: Record<string, VectorJacobianProduct> = {
  // Y = A @ B:  dA = G @ Bᵀ,  dB = Aᵀ @ G  (batch dims summed back where A or B was broadcast).
  // 1-d operands are promoted first (A [k] -> [1, k], B [k] -> [k, 1]) and G gets the matching unit axes.
  MatMul: ({ graph, node, outputGradients, needsGradient }) => {
    const a = node.inputs[0] as Value;
    const b = node.inputs[1] as Value;
    let g = outputGradients[0] as Value;
    const aVector = a.shape.length === 1;
    const bVector = b.shape.length === 1;
    const a2 = aVector ? graph.unsqueeze(a, [0]) : a;
    const b2 = bVector ? graph.unsqueeze(b, [1]) : b;
    if (aVector && bVector) g = graph.unsqueeze(g, [0, 1]);
    else if (aVector) g = graph.unsqueeze(g, [-2]);
    else if (bVector) g = graph.unsqueeze(g, [-1]);
    let da: Value | undefined;
    let db: Value | undefined;
    if (needsGradient[0]) {
      const full = sumToShape(graph, graph.matMul(g, swapLastTwo(graph, b2)), a2);
      da = aVector ? graph.squeeze(full, [0]) : full;
    }
    if (needsGradient[1]) {
      const full = sumToShape(graph, graph.matMul(swapLastTwo(graph, a2), g), b2);
      db = bVector ? graph.squeeze(full, [1]) : full;
    }
    return [da, db];
  },
};
