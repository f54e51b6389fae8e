import type { GraphBuilder } from './graph-builder.js';
import type { NodeRecord } from './node-record.js';
import type { Value } from './value.js';

/** What an op's vector-Jacobian product sees: the node, the upstream gradients, the builder to emit into. */
export interface GradientContext {
  /** The gradient graph being built; it contains every forward value, so `node.inputs/outputs` are usable. */
  readonly graph: GraphBuilder;
  readonly node: NodeRecord;
  /** The upstream gradient of each node output (same shape as the output), `undefined` where none flows. */
  readonly outputGradients: readonly (Value | undefined)[];
  /** Which inputs need a gradient; a VJP emits nothing for the others. */
  readonly needsGradient: readonly boolean[];
}

/**
 * An op's reverse-mode rule: the gradient for each input (shaped like that input), or `undefined`
 * where the input needs none or is not differentiable.
 */
export type VectorJacobianProduct = (context: GradientContext) => readonly (Value | undefined)[];
