import { GraphBuilder, tensor, type Value } from '@research-ts/onnx-graph';
import type { AdamWConstants } from '@research-ts/spec';

/**
 * The optimizer's ONNX graphs (opset 17), for a list of tensor shapes, so that gradient accumulation,
 * the global gradient norm and the clip + AdamW update run where the tensors live (a GPU provider's
 * device) and only scalars cross to the host. Inputs and outputs are named by the tensor's index in
 * the list (`gradient.0`, `new_parameter.3`, …), so one graph serves any parameters of these shapes.
 *
 * - {@link buildAccumulateGraph}: `sum.i = accumulator.i + gradient.i` for every tensor, one run per
 *   micro-batch;
 * - {@link buildSquaredNormGraph}: `squares = Σ_i Σ gradient.i²`, one float32 scalar;
 * - {@link buildAdamWGraph}: the clip and the AdamW step of every tensor, given one `[tensors, 8]`
 *   table of per-tensor constants ({@link adamWConstantsRow}): one upload per update whatever the
 *   number of tensors;
 * - {@link buildZerosGraph}: zeros shaped like given tensors (fresh optimizer moments, made on the
 *   device from the parameters' shapes, with no upload).
 */

/** Tensor shapes, row-major. */
export type TensorShapes = readonly (readonly number[])[];

/** The columns of the constants table of {@link buildAdamWGraph}, in order. */
export const adamWConstantColumns = [
  'clipCoefficient',
  'decay',
  'oneMinusBeta1',
  'beta2',
  'oneMinusBeta2',
  'biasCorrection2Sqrt',
  'negativeStepSize',
  'eps',
] as const;

/** Input and output names of the optimizer graphs for tensor `index`. */
export const optimizerGraphNames = {
  accumulator: (index: number) => `accumulator.${index}`,
  gradient: (index: number) => `gradient.${index}`,
  sum: (index: number) => `sum.${index}`,
  parameter: (index: number) => `parameter.${index}`,
  expAvg: (index: number) => `exp_avg.${index}`,
  expAvgSq: (index: number) => `exp_avg_sq.${index}`,
  newParameter: (index: number) => `new_parameter.${index}`,
  newExpAvg: (index: number) => `new_exp_avg.${index}`,
  newExpAvgSq: (index: number) => `new_exp_avg_sq.${index}`,
  like: (index: number) => `like.${index}`,
  zeros: (index: number) => `zeros.${index}`,
  /** The `[tensors, 8]` constants input of the AdamW graph. */
  constants: 'constants',
  /** The scalar output of the squared-norm graph. */
  squares: 'squares',
} as const;

/**
 * One row of the AdamW graph's constants table: the clip coefficient (1 when no clipping applies), then
 * spec's {@link AdamWConstants} in {@link adamWConstantColumns} order.
 */
export function adamWConstantsRow(clipCoefficient: number, constants: AdamWConstants): number[] {
  return [
    clipCoefficient,
    constants.decay,
    constants.oneMinusBeta1,
    constants.beta2,
    constants.oneMinusBeta2,
    constants.biasCorrection2Sqrt,
    constants.negativeStepSize,
    constants.eps,
  ];
}

/** `sum.i = accumulator.i + gradient.i` for every tensor. */
export function buildAccumulateGraph(shapes: TensorShapes): GraphBuilder {
  const graph = new GraphBuilder({ opset: 17, name: 'accumulate_gradients' });
  shapes.forEach((shape, index) => {
    const accumulator = graph.input(optimizerGraphNames.accumulator(index), 'float32', [...shape]);
    const gradient = graph.input(optimizerGraphNames.gradient(index), 'float32', [...shape]);
    graph.output(graph.add(accumulator, gradient), optimizerGraphNames.sum(index));
  });
  return graph;
}

/**
 * `squares = Σ_i Σ gradient.i²`, a float32 scalar. The sums run in float32 on the device (onnxruntime's
 * ReduceSum, then one Add per tensor), where the host training state sums in float64: the norm agrees
 * to float32 rounding (relative error of order 1e-7 times the log of the element count), which moves
 * the clip coefficient by as little.
 */
export function buildSquaredNormGraph(shapes: TensorShapes): GraphBuilder {
  const graph = new GraphBuilder({ opset: 17, name: 'squared_gradient_norm' });
  let total: Value | undefined;
  shapes.forEach((shape, index) => {
    const gradient = graph.input(optimizerGraphNames.gradient(index), 'float32', [...shape]);
    const squares = graph.reduceSum(graph.mul(gradient, gradient), undefined, { keepDims: false });
    total = total === undefined ? squares : graph.add(total, squares);
  });
  graph.output(total ?? graph.scalar(0), optimizerGraphNames.squares);
  return graph;
}

/**
 * The clip and one AdamW step of every tensor (spec's `applyAdamW`, expression by expression). Inputs:
 * `parameter.i`, `gradient.i`, `exp_avg.i`, `exp_avg_sq.i` and `constants [tensors, 8]` (row i:
 * {@link adamWConstantsRow} of tensor i); outputs `new_parameter.i`, `new_exp_avg.i`, `new_exp_avg_sq.i`.
 * Per element, in float32:
 *
 * ```text
 * g  = gradient · clip
 * m' = m + (1 − β1)·(g − m)
 * v' = v·β2 + ((1 − β2)·g)·g
 * p' = p·decay + (negativeStepSize·m') / (√v' / √(1 − β2^t) + ε)
 * ```
 *
 * `applyAdamW` fuses the lerp and addcmul (one rounding each, as PyTorch's CPU kernels); these ops round
 * after each multiply, and a GPU compiler may or may not contract them, so the results match the host
 * to float32 rounding (about 1e-7 relative per step), not bit for bit. The host clips in float64 and
 * rounds once (`g·c`), the graph multiplies by the float32 coefficient: the same to one rounding. A
 * coefficient of 1 leaves the gradient exact, as the host does by not clipping.
 */
export function buildAdamWGraph(shapes: TensorShapes): GraphBuilder {
  const graph = new GraphBuilder({ opset: 17, name: 'clip_adamw' });
  const names = optimizerGraphNames;
  const constants = graph.input(names.constants, 'float32', [shapes.length, adamWConstantColumns.length]);
  shapes.forEach((shape, index) => {
    const parameter = graph.input(names.parameter(index), 'float32', [...shape]);
    const gradient = graph.input(names.gradient(index), 'float32', [...shape]);
    const expAvg = graph.input(names.expAvg(index), 'float32', [...shape]);
    const expAvgSq = graph.input(names.expAvgSq(index), 'float32', [...shape]);
    const row = graph.gather(constants, graph.constant(tensor('int64', [], [index]))); // [8]
    const column = (name: (typeof adamWConstantColumns)[number]) =>
      graph.gather(row, graph.constant(tensor('int64', [], [adamWConstantColumns.indexOf(name)])));
    const g = graph.mul(gradient, column('clipCoefficient'));
    const nextM = graph.add(expAvg, graph.mul(column('oneMinusBeta1'), graph.sub(g, expAvg)));
    const nextV = graph.add(graph.mul(expAvgSq, column('beta2')), graph.mul(graph.mul(column('oneMinusBeta2'), g), g));
    const denominator = graph.add(graph.div(graph.sqrt(nextV), column('biasCorrection2Sqrt')), column('eps'));
    const step = graph.div(graph.mul(column('negativeStepSize'), nextM), denominator);
    graph.output(graph.add(graph.mul(parameter, column('decay')), step), names.newParameter(index));
    graph.output(nextM, names.newExpAvg(index));
    graph.output(nextV, names.newExpAvgSq(index));
  });
  return graph;
}

/** `zeros.i`: float32 zeros shaped like `like.i` (whose values are not read). */
export function buildZerosGraph(shapes: TensorShapes): GraphBuilder {
  const graph = new GraphBuilder({ opset: 17, name: 'zeros_like' });
  shapes.forEach((shape, index) => {
    const like = graph.input(optimizerGraphNames.like(index), 'float32', [...shape]);
    graph.output(graph.constantOfShape(graph.shape(like)), optimizerGraphNames.zeros(index));
  });
  return graph;
}
