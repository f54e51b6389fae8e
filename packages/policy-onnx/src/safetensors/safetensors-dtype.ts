/**
 * The element types of the safetensors format and their sizes in bytes. All are little-endian.
 * `F32`, `F16`, `BF16` and `F64` convert to float32 (`F64` rounds); the others are kept as raw bytes.
 */
export const safetensorsDtypeSizes = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const satisfies Record<string, number>;

export type SafetensorsDtype = keyof typeof safetensorsDtypeSizes;

/** The floating-point dtypes that read as float32 and that float32 data can be written as. */
export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(safetensorsDtypeSizes, value);
}

export function isFloatDtype(dtype: SafetensorsDtype): dtype is FloatDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64';
}

/** Number of elements of a tensor of `shape` (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}
