import { InvalidInputError, UnsupportedError } from '@research-ts/spec';
import { endianness } from 'node:os';
import { bfloat16ToFloat32, float32ToBfloat16 } from '../model/bfloat16';
import { float16ToFloat32, float32ToFloat16 } from '../model/float16';
import { isFloatDtype, type FloatDtype, type SafetensorsDtype } from './safetensors-dtype';

/** Typed arrays view memory in the host's byte order; safetensors is little-endian. */
export function assertLittleEndianHost(): void {
  if (endianness() !== 'LE')
    throw new UnsupportedError(
      'safetensors IO on a big-endian host',
      'tensors are read and written as little-endian typed arrays',
    );
}

/**
 * Converts the little-endian bytes of a floating-point tensor to a new Float32Array: `F32` copied,
 * `F16`/`BF16` widened exactly, `F64` rounded to nearest. Other dtypes are an error naming the tensor.
 */
export function decodeFloat32(
  dtype: SafetensorsDtype,
  bytes: Uint8Array,
  location: { source: string; field: string },
): Float32Array {
  assertLittleEndianHost();
  if (!isFloatDtype(dtype))
    throw new InvalidInputError(
      `dtype ${dtype} is not a floating-point type (expected F32, F16, BF16 or F64)`,
      location,
    );
  // Copy into fresh, aligned memory first: the input may sit at any byte offset.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + aligned.byteLength));
    case 'F16':
      return float16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case 'BF16':
      return bfloat16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
    case 'F64':
      return Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8));
  }
}

/**
 * Encodes float32 values as `dtype` (little-endian bytes); `output` receives them when given (it
 * must hold `values.length × size` bytes). `F16`/`BF16` round to nearest, ties to even.
 */
export function encodeFloat32(values: Float32Array, dtype: FloatDtype, output?: Uint8Array): Uint8Array {
  assertLittleEndianHost();
  switch (dtype) {
    case 'F32': {
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      if (output === undefined) return bytes.slice();
      output.set(bytes);
      return output;
    }
    case 'F16':
    case 'BF16': {
      const target =
        output === undefined
          ? new Uint16Array(values.length)
          : new Uint16Array(output.buffer, output.byteOffset, values.length);
      if (dtype === 'F16') float32ToFloat16(values, target);
      else float32ToBfloat16(values, target);
      return new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    }
    case 'F64': {
      const target =
        output === undefined
          ? new Float64Array(values.length)
          : new Float64Array(output.buffer, output.byteOffset, values.length);
      target.set(values);
      return new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    }
  }
}
