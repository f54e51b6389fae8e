import type { Shape } from './shape.js';
import { formatShape } from './shape.js';

/**
 * The marker of the research-ts error family (`ResearchError.isInstance` in `@research-ts/spec` checks it).
 * This package sits beside `spec` in the layer table and cannot import it, so it sets the marker itself:
 * `ResearchError.isInstance(graphBuildError)` is `true`.
 */
const researchErrorMarker = Symbol.for('research-ts.error');

/**
 * A graph that cannot be built: mismatched shapes or dtypes, a bad axis, an op without a gradient.
 * Thrown at build time, before any model reaches onnxruntime. `op` names the ONNX op (or builder method),
 * `shapes` holds the operand shapes involved, and the message prints both.
 */
export class GraphBuildError extends Error {
  private readonly [researchErrorMarker] = true;
  /** The ONNX op type (or builder method) that rejected its operands, e.g. `MatMul`. */
  readonly op: string;
  /** The shapes of the operands involved, in operand order (empty when shapes are not the problem). */
  readonly shapes: readonly Shape[];
  /** The problem without the op and shape prefix. */
  readonly problem: string;

  constructor(op: string, problem: string, shapes: readonly Shape[] = []) {
    const shown = shapes.length === 0 ? '' : ` (shapes ${shapes.map(formatShape).join(' and ')})`;
    super(`${op}: ${problem}${shown}`);
    this.name = 'GraphBuildError';
    this.op = op;
    this.problem = problem;
    this.shapes = shapes;
  }

  static isInstance(error: unknown): error is GraphBuildError {
    return error instanceof Error && error.name === 'GraphBuildError' && researchErrorMarker in error;
  }
}
