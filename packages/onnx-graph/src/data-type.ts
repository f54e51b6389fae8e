/** Element types the builder handles. `float16` values are stored as their raw 16-bit patterns. */
export type DataType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool';

/** ONNX `TensorProto.DataType` codes. */
export const onnxDataTypeCode = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
} as const satisfies Record<DataType, number>;

/** Bytes per element. */
export const dataTypeByteSize = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
} as const satisfies Record<DataType, number>;

/** Whether values of this type carry gradients. */
export function isFloatingType(dtype: DataType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/** Whether arithmetic (Add, MatMul, ReduceSum…) is defined for this type. */
export function isNumericType(dtype: DataType): boolean {
  return dtype !== 'bool';
}
