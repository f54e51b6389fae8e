import type { DataType } from '../data-type.js';
import type { GraphBuilder } from '../graph-builder.js';
import { GraphBuildError } from '../graph-build-error.js';
import { attribute } from '../node-record.js';
import type { Dim } from '../shape.js';
import { formatShape } from '../shape.js';
import { tensor } from '../tensor-data.js';
import type { Value } from '../value.js';
import type { VectorJacobianProduct } from '../vector-jacobian-product.js';
import type { Operand } from './elementwise.js';

/** Shape: the int64 dims of `x`; its content (static or symbolic dims) is tracked. */
export function buildShape(graph: GraphBuilder, x: Value): Value {
  return graph.memoize(`Shape|${x.name}`, () => {
    const [result] = graph.emit('Shape', [x], [{ dtype: 'int64', shape: [x.shape.length] }]) as [Value];
    graph.setKnownContent(result, x.shape);
    return result;
  });
}

/** Size: the int64 element count of `x` as a 0-d value. */
export function buildSize(graph: GraphBuilder, x: Value): Value {
  const [result] = graph.emit('Size', [x], [{ dtype: 'int64', shape: [] }]) as [Value];
  const statics = (x.shape.filter((dim) => typeof dim === 'number') as number[]).reduce(
    (product, dim) => product * dim,
    1,
  );
  const symbols = x.shape.filter((dim) => typeof dim === 'string') as string[];
  graph.setKnownContent(result, [
    symbols.length === 0 ? statics : [...(statics === 1 ? [] : [String(statics)]), ...symbols].join('*'),
  ]);
  return result;
}

/** Range over 0-d operands of one dtype. Length is inferred when the operands are known. */
export function buildRange(
  graph: GraphBuilder,
  start: Operand,
  limit: Operand,
  delta: Operand,
  dtype?: DataType,
): Value {
  const firstValue = [start, limit, delta].find((operand): operand is Value => typeof operand !== 'number');
  const type = dtype ?? firstValue?.dtype ?? 'int64';
  const [from, to, step] = [start, limit, delta].map((operand) => graph.lift(operand, type)) as [Value, Value, Value];
  const shapes = [from.shape, to.shape, step.shape];
  if ([from, to, step].some((operand) => operand.shape.length !== 0 || operand.dtype !== type)) {
    throw new GraphBuildError('Range', `start, limit and delta must be 0-d ${type} values`, shapes);
  }
  const [first, last, stride] = [from, to, step].map((operand) => graph.knownContent(operand)?.[0]);
  let length: Dim;
  if (typeof first === 'number' && typeof last === 'number' && typeof stride === 'number') {
    length = Math.max(0, Math.ceil((last - first) / stride));
  } else if (first === 0 && stride === 1 && typeof last === 'string') {
    length = last;
  } else {
    length = graph.freshDim();
  }
  return graph.emit('Range', [from, to, step], [{ dtype: type, shape: [length] }])[0] as Value;
}

/** ConstantOfShape: a tensor of the shape held by a 1-d int64 value, filled with `fill`. */
export function buildConstantOfShape(graph: GraphBuilder, shape: Value, fill: number, dtype: DataType): Value {
  const length = shape.shape[0];
  if (shape.dtype !== 'int64' || shape.shape.length !== 1 || typeof length !== 'number') {
    throw new GraphBuildError(
      'ConstantOfShape',
      `the shape must be a 1-d int64 value of static length, got ${shape.dtype} ${formatShape(shape.shape)}`,
      [shape.shape],
    );
  }
  const dims = graph.knownContent(shape) ?? Array.from({ length }, () => graph.freshDim());
  return graph.emit('ConstantOfShape', [shape], [{ dtype, shape: dims }], {
    attributes: { value: attribute.tensor(tensor(dtype, [1], [fill])) },
  })[0] as Value;
}

/** Trilu on the last two axes; `k` shifts the diagonal. */
export function buildTrilu(graph: GraphBuilder, x: Value, upper: boolean, k: number): Value {
  if (x.shape.length < 2) throw new GraphBuildError('Trilu', 'needs rank 2 or more', [x.shape]);
  const inputs = k === 0 ? [x] : [x, graph.constant(tensor('int64', [], [k]))];
  return graph.emit('Trilu', inputs, [{ dtype: x.dtype, shape: x.shape }], {
    attributes: { upper: attribute.int(upper ? 1 : 0) },
    params: { upper, k },
  })[0] as Value;
}

const none: VectorJacobianProduct = ({ node }) => node.inputs.map(() => undefined);

export const generatorGradients: Record<string, VectorJacobianProduct> = {
  // shape queries and generated tensors do not depend differentiably on their inputs
  Shape: none,
  Size: none,
  Range: none,
  ConstantOfShape: none,
  Constant: none,
  // y = trilu(x):  dx = trilu(g) (the same triangle passes the gradient through)
  Trilu: ({ graph, node, outputGradients }) => {
    const { upper, k } = node.params as { upper: boolean; k: number };
    return [graph.trilu(outputGradients[0] as Value, { upper, k }), undefined];
  },
};
