import type { GraphBuilder } from './graph-builder.js';
import type { Value } from './value.js';

/**
 * The gradient of a broadcast operand: `gradient` (shaped like the broadcast result) summed over the
 * axes along which `target` was broadcast, then shaped like `target`. Leading axes that `target` lacks
 * are summed and squeezed; axes where `target` has a static 1 and the result does not are summed with
 * kept dims. Symbolic dims never broadcast (see `Dim`), so the axes are known at build time.
 */
export function sumToShape(graph: GraphBuilder, gradient: Value, target: Value): Value {
  const resultRank = gradient.shape.length;
  const targetRank = target.shape.length;
  const leading = resultRank - targetRank;
  const axes: number[] = [];
  for (let axis = 0; axis < leading; axis += 1) axes.push(axis);
  target.shape.forEach((dim, index) => {
    if (dim === 1 && gradient.shape[index + leading] !== 1) axes.push(index + leading);
  });
  if (axes.length === 0) return graph.assumeShape(gradient, target.shape);
  let summed = graph.reduceSum(gradient, axes, { keepDims: true });
  if (leading > 0) summed = graph.squeeze(summed, axes.slice(0, leading));
  return graph.assumeShape(summed, target.shape);
}
