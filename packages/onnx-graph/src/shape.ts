import { GraphBuildError } from './graph-build-error.js';

/**
 * One dimension: a static size, or a symbolic name (`'batch'`, `'seq'`) fixed only when the model runs.
 * Symbolic dims are assumed never to be broadcast: two values broadcast along a dim only where one of
 * them has a static 1. Two different symbols in the same broadcast position are an error (use
 * `GraphBuilder.assumeShape` to state that they are equal).
 */
export type Dim = number | string;

/** A shape with a known rank; each dim static or symbolic. */
export type Shape = readonly Dim[];

/** `[batch, 3, 4]` style text for messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.map((dim) => String(dim)).join(', ')}]`;
}

/** Whether two dims are known to be equal at build time. */
export function sameDim(left: Dim, right: Dim): boolean {
  return left === right;
}

/** Whether two shapes are known to be equal at build time. */
export function sameShape(left: Shape, right: Shape): boolean {
  return left.length === right.length && left.every((dim, index) => sameDim(dim, right[index] as Dim));
}

/** Product of the dims when all are static, else `undefined`. */
export function staticSize(shape: Shape): number | undefined {
  let size = 1;
  for (const dim of shape) {
    if (typeof dim !== 'number') return undefined;
    size *= dim;
  }
  return size;
}

/**
 * Numpy/ONNX multidirectional broadcasting of several shapes (right-aligned).
 * A static 1 stretches to the other dim; a symbolic dim meets a static non-1 dim as that static size.
 * @throws GraphBuildError naming `op` and every shape when two dims cannot broadcast.
 */
export function broadcastShapes(op: string, shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result: Dim[] = [];
  for (let position = 0; position < rank; position += 1) {
    let dim: Dim = 1;
    for (const shape of shapes) {
      const index = shape.length - rank + position;
      if (index < 0) continue;
      const next = shape[index] as Dim;
      if (next === 1 || next === dim) continue;
      if (dim === 1) {
        dim = next;
        continue;
      }
      if (typeof dim === 'string' && typeof next === 'number') {
        dim = next;
        continue;
      }
      if (typeof dim === 'number' && typeof next === 'string') continue;
      throw new GraphBuildError(
        op,
        `cannot broadcast dim ${String(dim)} with ${String(next)} at axis ${position - rank}`,
        shapes,
      );
    }
    result.push(dim);
  }
  return result;
}

/**
 * An axis in `[-rank, rank)` mapped to `[0, rank)`.
 * @throws GraphBuildError when the axis is out of range.
 */
export function normalizeAxis(op: string, axis: number, rank: number, shapes: readonly Shape[] = []): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new GraphBuildError(op, `axis ${axis} is out of range for rank ${rank}`, shapes);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Several axes normalized, sorted ascending; duplicates are an error. */
export function normalizeAxes(
  op: string,
  axes: readonly number[],
  rank: number,
  shapes: readonly Shape[] = [],
): number[] {
  const normalized = axes.map((axis) => normalizeAxis(op, axis, rank, shapes)).sort((left, right) => left - right);
  for (let index = 1; index < normalized.length; index += 1) {
    if (normalized[index] === normalized[index - 1]) {
      throw new GraphBuildError(op, `axis ${normalized[index]} is repeated in [${axes.join(', ')}]`, shapes);
    }
  }
  return normalized;
}
