/**
 * A minimal ONNX `ModelProto` writer for the small graphs this package builds at run time (the
 * exact-search graph). It writes protobuf wire format directly: the few message fields used here,
 * with their field numbers from `onnx/onnx.proto` (IR version 8). Models it writes carry no weights.
 */

/** ONNX `TensorProto.DataType` codes used here. */
export const onnxElementType = { float32: 1, int64: 7 } as const;
export type OnnxElementTypeName = keyof typeof onnxElementType;

export interface OnnxValueInfo {
  name: string;
  elementType: OnnxElementTypeName;
  /** Static sizes (numbers) or symbolic names (strings). */
  shape: ReadonlyArray<number | string>;
}

/** A node attribute: an integer (`INT`) or a float (`FLOAT`). */
export type OnnxAttribute = { name: string; int: number } | { name: string; float: number };

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: readonly OnnxAttribute[];
}

export interface OnnxModelDescription {
  /** Default-domain opset version. */
  opset: number;
  graphName: string;
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  nodes: readonly OnnxNode[];
}

const wireVarint = 0;
const wireFixed32 = 5;
const wireLengthDelimited = 2;

/** Protobuf bytes under construction. */
class ProtoWriter {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`varint needs a non-negative safe integer, got ${value}`);
    let remaining = value;
    while (remaining >= 0x80) {
      this.bytes.push((remaining % 0x80) | 0x80);
      remaining = Math.floor(remaining / 0x80);
    }
    this.bytes.push(remaining);
    return this;
  }

  private tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  integerField(field: number, value: number): this {
    if (value < 0) {
      // Negative int64 values are ten-byte two's complement varints.
      const encoded = BigInt.asUintN(64, BigInt(value));
      this.tag(field, wireVarint);
      let remaining = encoded;
      while (remaining >= 0x80n) {
        this.bytes.push(Number(remaining & 0x7fn) | 0x80);
        remaining >>= 7n;
      }
      this.bytes.push(Number(remaining));
      return this;
    }
    return this.tag(field, wireVarint).varint(value);
  }

  floatField(field: number, value: number): this {
    const buffer = new DataView(new ArrayBuffer(4));
    buffer.setFloat32(0, value, true);
    this.tag(field, wireFixed32);
    for (let index = 0; index < 4; index += 1) this.bytes.push(buffer.getUint8(index));
    return this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, wireLengthDelimited).varint(value.length);
    for (const byte of value) this.bytes.push(byte);
    return this;
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  messageField(field: number, message: ProtoWriter): this {
    return this.bytesField(field, message.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

// Field numbers from onnx.proto.
const modelFields = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const operatorSetFields = { domain: 1, version: 2 } as const;
const graphFields = { node: 1, name: 2, input: 11, output: 12 } as const;
const nodeFields = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const attributeFields = { name: 1, float: 2, int: 3, type: 20 } as const;
const attributeTypes = { float: 1, int: 2 } as const;
const valueInfoFields = { name: 1, type: 2 } as const;
const typeFields = { tensorType: 1 } as const;
const tensorTypeFields = { elementType: 1, shape: 2 } as const;
const shapeFields = { dim: 1 } as const;
const dimensionFields = { value: 1, parameter: 2 } as const;

function valueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const size of info.shape) {
    const dimension = new ProtoWriter();
    if (typeof size === 'number') dimension.integerField(dimensionFields.value, size);
    else dimension.stringField(dimensionFields.parameter, size);
    shape.messageField(shapeFields.dim, dimension);
  }
  const tensorType = new ProtoWriter()
    .integerField(tensorTypeFields.elementType, onnxElementType[info.elementType])
    .messageField(tensorTypeFields.shape, shape);
  const type = new ProtoWriter().messageField(typeFields.tensorType, tensorType);
  return new ProtoWriter().stringField(valueInfoFields.name, info.name).messageField(valueInfoFields.type, type);
}

function node(description: OnnxNode): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of description.inputs) writer.stringField(nodeFields.input, input);
  for (const output of description.outputs) writer.stringField(nodeFields.output, output);
  if (description.name !== undefined) writer.stringField(nodeFields.name, description.name);
  writer.stringField(nodeFields.opType, description.opType);
  for (const attribute of description.attributes ?? []) {
    const encoded = new ProtoWriter().stringField(attributeFields.name, attribute.name);
    if ('int' in attribute)
      encoded.integerField(attributeFields.int, attribute.int).integerField(attributeFields.type, attributeTypes.int);
    else
      encoded
        .floatField(attributeFields.float, attribute.float)
        .integerField(attributeFields.type, attributeTypes.float);
    writer.messageField(nodeFields.attribute, encoded);
  }
  return writer;
}

/** Serializes a weightless ONNX model (IR version 8, default domain at `opset`). */
export function writeOnnxModel(description: OnnxModelDescription): Uint8Array {
  const graph = new ProtoWriter();
  for (const entry of description.nodes) graph.messageField(graphFields.node, node(entry));
  graph.stringField(graphFields.name, description.graphName);
  for (const input of description.inputs) graph.messageField(graphFields.input, valueInfo(input));
  for (const output of description.outputs) graph.messageField(graphFields.output, valueInfo(output));
  const opset = new ProtoWriter()
    .stringField(operatorSetFields.domain, '')
    .integerField(operatorSetFields.version, description.opset);
  return new ProtoWriter()
    .integerField(modelFields.irVersion, 8)
    .stringField(modelFields.producerName, '@research-ts/retriever-dense')
    .messageField(modelFields.graph, graph)
    .messageField(modelFields.opsetImport, opset)
    .finish();
}
