import { isFloatingType } from './data-type.js';
import type { GraphBuilder } from './graph-builder.js';
import { GraphBuildError } from './graph-build-error.js';
import type { NodeRecord } from './node-record.js';
import { elementwiseGradients } from './ops/elementwise.js';
import { gatherGradients } from './ops/gather.js';
import { generatorGradients } from './ops/generators.js';
import { matMulGradients } from './ops/matmul.js';
import { reduceGradients } from './ops/reduce.js';
import { reshapeGradients } from './ops/reshape.js';
import { sliceGradients } from './ops/slice.js';
import { softmaxGradients } from './ops/softmax.js';
import { formatShape } from './shape.js';
import type { Value } from './value.js';
import type { VectorJacobianProduct } from './vector-jacobian-product.js';

/** Every op type with a vector-Jacobian product, keyed by ONNX op type. */
const builtInGradients: Readonly<Record<string, VectorJacobianProduct>> = {
  ...elementwiseGradients,
  ...matMulGradients,
  ...reduceGradients,
  ...softmaxGradients,
  ...gatherGradients,
  ...reshapeGradients,
  ...sliceGradients,
  ...generatorGradients,
};

/** The op types `gradients()` can differentiate through without `customGradients`. */
export const differentiableOps: readonly string[] = Object.keys(builtInGradients).sort();

export interface GradientsOptions {
  /** The values to differentiate (floating point), by handle or name; each gets an upstream-gradient input. */
  outputs: readonly (Value | string)[];
  /** The inputs, initializers or intermediate values to return gradients for. */
  wrt: readonly (Value | string)[];
  /** Keep the forward graph's declared outputs as outputs of the gradient graph too. Default false. */
  keepOutputs?: boolean;
  /** Name prefix of upstream inputs and gradient outputs. Default `'grad_'`. */
  prefix?: string;
  /** Extra or overriding VJPs by op type, for nodes added with `emit`. */
  customGradients?: Readonly<Record<string, VectorJacobianProduct>>;
}

/** A gradient graph and its named seams. */
export interface GradientGraph {
  /** A new builder holding the forward graph plus the backward nodes; serialize it or add more. */
  readonly graph: GraphBuilder;
  /** The upstream-gradient input of each chosen output, by output name (`grad_<output>`). */
  readonly upstream: Readonly<Record<string, Value>>;
  /** The gradient output of each `wrt` value, by its name (`grad_<name>`). */
  readonly gradients: Readonly<Record<string, Value>>;
}

function resolve(graph: GraphBuilder, value: Value | string): Value {
  return typeof value === 'string' ? graph.value(value) : graph.value(value.name);
}

/**
 * Reverse-mode autodiff. The result's inputs are the forward inputs plus `grad_<output>` for each chosen
 * output (shaped like it); its outputs are `grad_<name>` for each `wrt` value (shaped like it), then the
 * forward outputs when `keepOutputs` is set. Contributions to a value used more than once are summed;
 * nodes off every path from `wrt` to `outputs` get no backward nodes; integer and bool edges carry no
 * gradient; a `wrt` value that does not reach the outputs gets zeros. Forward nodes the requested outputs
 * do not need are dropped when the model is serialized.
 *
 * @throws GraphBuildError when a node on a path has no VJP, or a chosen output is not floating point.
 */
export function gradients(graph: GraphBuilder, options: GradientsOptions): GradientGraph {
  const prefix = options.prefix ?? 'grad_';
  const registry = { ...builtInGradients, ...(options.customGradients ?? {}) };
  const outputs = options.outputs.map((output) => resolve(graph, output));
  const wrt = options.wrt.map((value) => resolve(graph, value));
  for (const output of outputs) {
    if (!isFloatingType(output.dtype))
      throw new GraphBuildError('gradients', `output "${output.name}" is ${output.dtype}, not floating point`, [
        output.shape,
      ]);
  }
  for (const value of wrt) {
    if (!isFloatingType(value.dtype))
      throw new GraphBuildError('gradients', `"${value.name}" is ${value.dtype}, not floating point`, [value.shape]);
  }
  const forwardNodes = graph.nodes;
  const back = graph.clone({ keepOutputs: options.keepOutputs ?? false });

  // Values that depend differentiably on some wrt value (forward sweep) …
  const depends = new Set(wrt.map((value) => value.name));
  for (const node of forwardNodes) {
    if (!node.inputs.some((input) => input !== undefined && depends.has(input.name))) continue;
    for (const output of node.outputs) if (isFloatingType(output.dtype)) depends.add(output.name);
  }
  // … and values some chosen output depends on (backward sweep).
  const reaches = new Set(outputs.map((output) => output.name));
  for (let index = forwardNodes.length - 1; index >= 0; index -= 1) {
    const node = forwardNodes[index] as NodeRecord;
    if (!node.outputs.some((output) => reaches.has(output.name))) continue;
    for (const input of node.inputs) if (input !== undefined) reaches.add(input.name);
  }
  const onPath = (value: Value | undefined): boolean =>
    value !== undefined && depends.has(value.name) && reaches.has(value.name) && isFloatingType(value.dtype);

  const contributions = new Map<string, Value[]>();
  const totals = new Map<string, Value>();
  const contribute = (target: Value, gradient: Value): void => {
    if (gradient.shape.length !== target.shape.length || gradient.dtype !== target.dtype) {
      throw new GraphBuildError(
        'gradients',
        `the gradient of "${target.name}" came back as ${gradient.dtype} ${formatShape(gradient.shape)}, expected ${target.dtype} ${formatShape(target.shape)}`,
        [target.shape, gradient.shape],
      );
    }
    const list = contributions.get(target.name) ?? [];
    list.push(gradient);
    contributions.set(target.name, list);
  };
  const total = (value: Value): Value | undefined => {
    const cached = totals.get(value.name);
    if (cached !== undefined) return cached;
    const list = contributions.get(value.name);
    if (list === undefined || list.length === 0) return undefined;
    let sum = list[0] as Value;
    for (const next of list.slice(1)) sum = back.add(sum, next);
    const shaped = back.assumeShape(sum, value.shape);
    totals.set(value.name, shaped);
    return shaped;
  };

  const upstream: Record<string, Value> = {};
  for (const output of outputs) {
    const seed = back.input(`${prefix}${output.name}`, output.dtype, output.shape);
    upstream[output.name] = seed;
    contribute(output, seed);
  }

  for (let index = forwardNodes.length - 1; index >= 0; index -= 1) {
    const node = forwardNodes[index] as NodeRecord;
    if (!node.outputs.some(onPath)) continue;
    const needsGradient = node.inputs.map(onPath);
    if (!needsGradient.some(Boolean)) continue;
    const outputGradients = node.outputs.map((output) => (onPath(output) ? total(output) : undefined));
    if (outputGradients.every((gradient) => gradient === undefined)) continue;
    const rule = node.domain === undefined ? registry[node.opType] : undefined;
    if (rule === undefined) {
      throw new GraphBuildError(
        node.opType,
        `no gradient is defined for this op${node.domain === undefined ? '' : ` of domain ${node.domain}`} (node ${node.name})`,
        node.inputs.flatMap((input) => (input === undefined ? [] : [input.shape])),
      );
    }
    const inputGradients = rule({ graph: back, node, outputGradients, needsGradient });
    node.inputs.forEach((input, position) => {
      const gradient = inputGradients[position];
      if (input !== undefined && needsGradient[position] && gradient !== undefined) contribute(input, gradient);
    });
  }

  const result: Record<string, Value> = {};
  for (const value of wrt) {
    const gradient = total(value) ?? back.constantOfShape(back.shape(value), 0, value.dtype);
    result[value.name] = back.output(gradient, `${prefix}${value.name}`);
  }
  return { graph: back, upstream, gradients: result };
}
