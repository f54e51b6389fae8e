import type { DataType } from './data-type.js';
import type { Shape } from './shape.js';

/**
 * A handle to one tensor of a graph: a graph input, an initializer, or an op's output.
 * Handles are plain immutable records; a builder accepts a handle whose name it defines
 * (so the handles of a forward graph stay valid in the gradient graph derived from it).
 */
export interface Value {
  /** The ONNX value name, unique within the graph. */
  readonly name: string;
  readonly dtype: DataType;
  /** Rank is always known; each dim is static or symbolic. */
  readonly shape: Shape;
}
