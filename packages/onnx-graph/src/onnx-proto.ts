// The one entry of the `onnx-proto` package (protobufjs static code for the ONNX IR, a CommonJS module).
// Types come from `import type { onnx } from 'onnx-proto'`; values from here.
import onnxProto from 'onnx-proto';

export const onnxMessages: typeof onnxProto.onnx = onnxProto.onnx;
