import type { onnxTypes as onnx } from './onnx-proto.js';
import { dataTypeByteSize, onnxDataTypeCode } from './data-type.js';
import type { GraphBuilder } from './graph-builder.js';
import { GraphBuildError } from './graph-build-error.js';
import type { AttributeValue, NodeRecord } from './node-record.js';
import { onnxMessages } from './onnx-proto.js';
import type { TensorData } from './tensor-data.js';
import { tensorBytes } from './tensor-data.js';
import type { Value } from './value.js';

/** One external-data file held in memory, in the form onnxruntime's `sessionOptions.externalData` takes. */
export interface ExternalDataFile {
  /** The `location` the model's tensor refers to (a relative file name). */
  readonly path: string;
  /** The tensor's bytes, little-endian; a view of the initializer's own buffer (no copy). */
  readonly data: Uint8Array;
}

/** A model whose big initializers live outside the protobuf. */
export interface SerializedModel {
  /** The ONNX protobuf bytes. */
  readonly model: Uint8Array;
  /** One file per externalized initializer, each referenced with offset 0. */
  readonly externalData: readonly ExternalDataFile[];
}

export interface ExternalDataOptions {
  /**
   * Initializers of at least this many bytes are stored as external data. Default 1 MiB. A small threshold
   * (even 0) forces small tensors out, which is how the path is tested.
   */
  thresholdBytes?: number;
}

export interface ModelProtoOptions {
  /** Store initializers of at least this many bytes as external data (see `serializeWithExternalData`). */
  externalThresholdBytes?: number;
}

/** ONNX IR version matching each supported opset (ONNX 1.12/1.13: IR 8; 1.14/1.15: IR 9; 1.16: IR 10). */
const irVersionOfOpset: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

const attributeType = { int: 2, ints: 7, float: 1, floats: 6, string: 3, tensor: 4 } as const;

function tensorProto(data: TensorData, name?: string): onnx.ITensorProto {
  return {
    ...(name === undefined ? {} : { name }),
    dims: [...data.shape],
    dataType: onnxDataTypeCode[data.dtype],
    rawData: tensorBytes(data),
  };
}

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  const type = attributeType[value.kind];
  switch (value.kind) {
    case 'int':
      return { name, type, i: value.value };
    case 'ints':
      return { name, type, ints: [...value.value] };
    case 'float':
      return { name, type, f: value.value };
    case 'floats':
      return { name, type, floats: [...value.value] };
    case 'string':
      return { name, type, s: new TextEncoder().encode(value.value) };
    case 'tensor':
      return { name, type, t: tensorProto(value.value) };
  }
}

function valueInfo(value: Value): onnx.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: onnxDataTypeCode[value.dtype],
        shape: { dim: value.shape.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function nodeProto(node: NodeRecord, renamed: ReadonlyMap<string, string>): onnx.INodeProto {
  const nameOf = (name: string) => renamed.get(name) ?? name;
  return {
    name: node.name,
    opType: node.opType,
    ...(node.domain === undefined ? {} : { domain: node.domain }),
    input: node.inputs.map((input) => (input === undefined ? '' : nameOf(input.name))),
    output: node.outputs.map((output) => nameOf(output.name)),
    attribute: Object.entries(node.attributes).map(([name, value]) => attributeProto(name, value)),
  };
}

/** The nodes needed by the outputs, in order (dead branches left out). */
function liveNodes(graph: GraphBuilder): NodeRecord[] {
  const needed = new Set(graph.outputs.map((output) => output.name));
  const kept: NodeRecord[] = [];
  for (let index = graph.nodes.length - 1; index >= 0; index -= 1) {
    const node = graph.nodes[index] as NodeRecord;
    if (!node.outputs.some((output) => needed.has(output.name))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input !== undefined) needed.add(input.name);
  }
  return kept.reverse();
}

/**
 * `output(value, name)` renames with an Identity node; a runtime then copies the tensor once more per
 * run. Where the value comes out of another node and is neither a graph input, an initializer nor
 * another output, that node writes the output name directly instead: the Identity is dropped and every
 * use of the value is renamed (each value at most once).
 */
function elideOutputIdentities(
  graph: GraphBuilder,
  nodes: readonly NodeRecord[],
): { nodes: NodeRecord[]; renamed: Map<string, string> } {
  const outputNames = new Set(graph.outputs.map((output) => output.name));
  const produced = new Set(nodes.flatMap((node) => node.outputs.map((output) => output.name)));
  const renamed = new Map<string, string>();
  const kept = nodes.filter((node) => {
    const source = node.inputs[0];
    const target = node.outputs[0];
    if (node.opType !== 'Identity' || node.domain !== undefined || source === undefined || target === undefined)
      return true;
    if (
      !outputNames.has(target.name) ||
      outputNames.has(source.name) ||
      !produced.has(source.name) ||
      renamed.has(source.name)
    )
      return true;
    renamed.set(source.name, target.name);
    return false;
  });
  return { nodes: kept, renamed };
}

function fileNameFor(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || 'tensor';
  let path = `${base}.bin`;
  for (let suffix = 1; taken.has(path); suffix += 1) path = `${base}_${suffix}.bin`;
  taken.add(path);
  return path;
}

/** The ModelProto and the external-data files it refers to. */
export function modelProto(
  graph: GraphBuilder,
  options: ModelProtoOptions = {},
): { model: onnx.ModelProto; externalData: ExternalDataFile[] } {
  if (graph.outputs.length === 0) throw new GraphBuildError('serialize', 'the graph has no outputs (call output())');
  const { nodes, renamed } = elideOutputIdentities(graph, liveNodes(graph));
  const used = new Set<string>(graph.outputs.map((output) => output.name));
  for (const node of nodes) for (const input of node.inputs) if (input !== undefined) used.add(input.name);
  const threshold = options.externalThresholdBytes;
  const externalData: ExternalDataFile[] = [];
  const taken = new Set<string>();
  const initializers: onnx.ITensorProto[] = [];
  for (const [name, data] of graph.initializers) {
    if (!used.has(name)) continue;
    const bytes = data.data.length * dataTypeByteSize[data.dtype];
    if (threshold === undefined || bytes < threshold) {
      initializers.push(tensorProto(data, name));
      continue;
    }
    const path = fileNameFor(name, taken);
    externalData.push({ path, data: tensorBytes(data) });
    initializers.push({
      name,
      dims: [...data.shape],
      dataType: onnxDataTypeCode[data.dtype],
      dataLocation: 1,
      externalData: [
        { key: 'location', value: path },
        { key: 'offset', value: '0' },
        { key: 'length', value: String(bytes) },
      ],
    });
  }
  const model = onnxMessages.ModelProto.create({
    irVersion: irVersionOfOpset[graph.opset] ?? 8,
    producerName: '@research-ts/onnx-graph',
    opsetImport: [
      { domain: '', version: graph.opset },
      ...[...new Set(nodes.flatMap((node) => (node.domain === undefined ? [] : [node.domain])))]
        .sort()
        .map((domain) => ({ domain, version: 1 })),
    ],
    graph: {
      name: graph.name,
      node: nodes.map((node) => nodeProto(node, renamed)),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: initializers,
    },
  });
  return { model, externalData };
}

/** Protobuf bytes with every initializer inline. */
export function serializeModel(graph: GraphBuilder): Uint8Array {
  return onnxMessages.ModelProto.encode(modelProto(graph).model).finish();
}

/** Protobuf bytes plus one in-memory external-data file per initializer of at least `thresholdBytes`. */
export function serializeModelWithExternalData(
  graph: GraphBuilder,
  options: ExternalDataOptions = {},
): SerializedModel {
  const { model, externalData } = modelProto(graph, { externalThresholdBytes: options.thresholdBytes ?? 1024 * 1024 });
  return { model: onnxMessages.ModelProto.encode(model).finish(), externalData };
}
