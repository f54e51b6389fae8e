// The one entry of the `onnx-proto` package (protobufjs static code for the ONNX IR, a CommonJS module):
// message classes as `onnxMessages`, their types as `onnxTypes`.
import onnxProto from 'onnx-proto';

export const onnxMessages: typeof onnxProto.onnx = onnxProto.onnx;
export type { onnx as onnxTypes } from 'onnx-proto';
