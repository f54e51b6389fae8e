import type { DataType } from '../data-type.js';
import { isFloatingType, isNumericType } from '../data-type.js';
import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { broadcastShapes } from '../shape.js';
import { sumToShape } from '../sum-to-shape.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';

/** A value, or a plain number that becomes a 0-d constant of the other operand's dtype. */
export type Operand = Value | number;

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';
type UnaryOp = 'Neg' | 'Sqrt' | 'Reciprocal' | 'Exp' | 'Log' | 'Sigmoid' | 'Tanh' | 'Identity';
type CompareOp = 'Equal' | 'Less' | 'Greater';

function liftPair(graph: GraphBuilder, op: string, left: Operand, right: Operand): [Value, Value] {
  if (typeof left === 'number' && typeof right === 'number') {
    throw new GraphBuildError(op, 'at least one operand must be a Value');
  }
  const dtype = typeof left === 'number' ? (right as Value).dtype : left.dtype;
  const a = graph.lift(left, dtype);
  const b = graph.lift(right, dtype);
  if (a.dtype !== b.dtype) {
    throw new GraphBuildError(op, `operand dtypes differ: ${a.dtype} and ${b.dtype}`, [a.shape, b.shape]);
  }
  return [a, b];
}

/** Add/Sub/Mul/Div with numpy broadcasting. */
export function buildBinary(graph: GraphBuilder, op: BinaryOp, left: Operand, right: Operand): Value {
  const [a, b] = liftPair(graph, op, left, right);
  if (!isNumericType(a.dtype)) throw new GraphBuildError(op, `dtype ${a.dtype} is not numeric`, [a.shape, b.shape]);
  const shape = broadcastShapes(op, [a.shape, b.shape]);
  return graph.emit(op, [a, b], [{ dtype: a.dtype, shape }])[0] as Value;
}

/** Pow with a constant scalar exponent (kept in params for the gradient). */
export function buildPow(graph: GraphBuilder, x: Value, exponent: number): Value {
  if (!isFloatingType(x.dtype)) throw new GraphBuildError('Pow', `dtype ${x.dtype} is not floating point`, [x.shape]);
  const power = graph.scalar(exponent, x.dtype);
  return graph.emit('Pow', [x, power], [{ dtype: x.dtype, shape: x.shape }], { params: { exponent } })[0] as Value;
}

export function buildUnary(graph: GraphBuilder, op: UnaryOp, x: Value): Value {
  const needsFloat = op !== 'Neg' && op !== 'Identity';
  if (needsFloat && !isFloatingType(x.dtype)) {
    throw new GraphBuildError(op, `dtype ${x.dtype} is not floating point`, [x.shape]);
  }
  if (op === 'Neg' && !isNumericType(x.dtype))
    throw new GraphBuildError(op, `dtype ${x.dtype} is not numeric`, [x.shape]);
  const [result] = graph.emit(op, [x], [{ dtype: x.dtype, shape: x.shape }]) as [Value];
  if (op === 'Identity') {
    const content = graph.knownContent(x);
    if (content !== undefined) graph.setKnownContent(result, content);
  }
  return result;
}

export function buildCast(graph: GraphBuilder, x: Value, dtype: DataType): Value {
  const code = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 }[dtype];
  const [result] = graph.emit('Cast', [x], [{ dtype, shape: x.shape }], {
    attributes: { to: { kind: 'int', value: code } },
  }) as [Value];
  const content = graph.knownContent(x);
  if (content !== undefined && (dtype === 'int64' || dtype === 'int32')) graph.setKnownContent(result, content);
  return result;
}

export function buildCompare(graph: GraphBuilder, op: CompareOp, left: Operand, right: Operand): Value {
  const [a, b] = liftPair(graph, op, left, right);
  const shape = broadcastShapes(op, [a.shape, b.shape]);
  return graph.emit(op, [a, b], [{ dtype: 'bool', shape }])[0] as Value;
}

export function buildWhere(graph: GraphBuilder, condition: Value, whenTrue: Operand, whenFalse: Operand): Value {
  if (condition.dtype !== 'bool') {
    throw new GraphBuildError('Where', `the condition must be bool, got ${condition.dtype}`, [condition.shape]);
  }
  const [a, b] = liftPair(graph, 'Where', whenTrue, whenFalse);
  const shape = broadcastShapes('Where', [condition.shape, a.shape, b.shape]);
  return graph.emit('Where', [condition, a, b], [{ dtype: a.dtype, shape }])[0] as Value;
}

// ---------------------------------------------------------------- vector-Jacobian products
// g is the upstream gradient of the output y; each rule returns one gradient per input.

const input = (context: Parameters<VectorJacobianProduct>[0], index: number): Value =>
  context.node.inputs[index] as Value;
const output = (context: Parameters<VectorJacobianProduct>[0]): Value => context.node.outputs[0] as Value;
const upstream = (context: Parameters<VectorJacobianProduct>[0]): Value => context.outputGradients[0] as Value;

export const elementwiseGradients: Record<string, VectorJacobianProduct> = {
  // y = a + b:  da = g,  db = g  (each summed back over its broadcast axes)
  Add: (context) => {
    const { graph, needsGradient } = context;
    const g = upstream(context);
    return [
      needsGradient[0] ? sumToShape(graph, g, input(context, 0)) : undefined,
      needsGradient[1] ? sumToShape(graph, g, input(context, 1)) : undefined,
    ];
  },
  // y = a - b:  da = g,  db = -g
  Sub: (context) => {
    const { graph, needsGradient } = context;
    const g = upstream(context);
    return [
      needsGradient[0] ? sumToShape(graph, g, input(context, 0)) : undefined,
      needsGradient[1] ? sumToShape(graph, graph.neg(g), input(context, 1)) : undefined,
    ];
  },
  // y = a * b:  da = g * b,  db = g * a  (y = x * x: one contribution 2 g x)
  Mul: (context) => {
    const { graph, needsGradient } = context;
    const g = upstream(context);
    const a = input(context, 0);
    const b = input(context, 1);
    if (a.name === b.name) return [sumToShape(graph, graph.mul(graph.mul(g, 2), a), a), undefined];
    return [
      needsGradient[0] ? sumToShape(graph, graph.mul(g, b), a) : undefined,
      needsGradient[1] ? sumToShape(graph, graph.mul(g, a), b) : undefined,
    ];
  },
  // y = a / b:  da = g / b,  db = -g * y / b
  Div: (context) => {
    const { graph, needsGradient } = context;
    const g = upstream(context);
    const a = input(context, 0);
    const b = input(context, 1);
    const gOverB = graph.div(g, b);
    return [
      needsGradient[0] ? sumToShape(graph, gOverB, a) : undefined,
      needsGradient[1] ? sumToShape(graph, graph.neg(graph.mul(gOverB, output(context))), b) : undefined,
    ];
  },
  // y = x ** p (constant p):  dx = g * p * x ** (p - 1)
  Pow: (context) => {
    const { graph } = context;
    const x = input(context, 0);
    const exponent = context.node.params.exponent as number;
    if (exponent === 0) return [graph.mul(upstream(context), 0), undefined];
    const lowered = exponent === 2 ? x : exponent === 1 ? undefined : graph.pow(x, exponent - 1);
    const scaled = graph.mul(upstream(context), exponent);
    return [lowered === undefined ? scaled : graph.mul(scaled, lowered), undefined];
  },
  // y = -x:  dx = -g
  Neg: (context) => [context.graph.neg(upstream(context))],
  // y = x:  dx = g
  Identity: (context) => [upstream(context)],
  // y = sqrt(x):  dx = g / (2 y)
  Sqrt: (context) => [context.graph.div(context.graph.mul(upstream(context), 0.5), output(context))],
  // y = 1 / x:  dx = -g y²
  Reciprocal: (context) => {
    const { graph } = context;
    const y = output(context);
    return [graph.neg(graph.mul(upstream(context), graph.mul(y, y)))];
  },
  // y = exp(x):  dx = g y
  Exp: (context) => [context.graph.mul(upstream(context), output(context))],
  // y = log(x):  dx = g / x
  Log: (context) => [context.graph.div(upstream(context), input(context, 0))],
  // y = sigmoid(x):  dx = g y (1 - y)
  Sigmoid: (context) => {
    const { graph } = context;
    const y = output(context);
    return [graph.mul(upstream(context), graph.mul(y, graph.sub(1, y)))];
  },
  // y = tanh(x):  dx = g (1 - y²)
  Tanh: (context) => {
    const { graph } = context;
    const y = output(context);
    return [graph.mul(upstream(context), graph.sub(1, graph.mul(y, y)))];
  },
  // y = cast(x):  dx = cast(g) back to x's dtype, between floating types only
  Cast: (context) => {
    const x = input(context, 0);
    if (!isFloatingType(x.dtype) || !isFloatingType(output(context).dtype)) return [undefined];
    return [context.graph.cast(upstream(context), x.dtype)];
  },
  // y = c ? a : b:  da = c ? g : 0,  db = c ? 0 : g  (the condition gets none)
  Where: (context) => {
    const { graph, needsGradient } = context;
    const g = upstream(context);
    const condition = input(context, 0);
    return [
      undefined,
      needsGradient[1] ? sumToShape(graph, graph.where(condition, g, 0), input(context, 1)) : undefined,
      needsGradient[2] ? sumToShape(graph, graph.where(condition, 0, g), input(context, 2)) : undefined,
    ];
  },
  // comparisons have zero gradient almost everywhere: nothing flows back
  Equal: () => [undefined, undefined],
  Less: () => [undefined, undefined],
  Greater: () => [undefined, undefined],
};
