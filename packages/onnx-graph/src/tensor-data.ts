import type { DataType } from './data-type.js';
import { GraphBuildError } from './graph-build-error.js';

/** The typed array that holds each element type (`float16` as raw 16-bit patterns, `bool` as 0/1 bytes). */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

/** A dense tensor with a static shape, row-major. */
export interface TensorData<T extends DataType = DataType> {
  readonly dtype: T;
  /** Static dims; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** `product(shape)` elements. */
  readonly data: TypedArrayOf[T];
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE half-precision bits of a number (round to nearest even, overflow to infinity). */
export function float16Bits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: a multiple of 2^-24, rounded to nearest even.
    const scaled = Math.abs(scratch[0] as number) * 2 ** 24;
    let units = Math.floor(scaled);
    const fraction = scaled - units;
    if (fraction > 0.5 || (fraction === 0.5 && units % 2 === 1)) units += 1;
    return sign | units;
  }
  let half = sign | (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return half;
}

/** The number that half-precision bits encode. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new GraphBuildError('tensor', `dims must be non-negative integers, got [${shape.join(', ')}]`);
    }
    count *= dim;
  }
  return count;
}

/**
 * A tensor from plain numbers (or a typed array of the matching kind, used without copying).
 * `float16` numbers are rounded to half precision; a `Uint16Array` given for `float16` is taken as raw bits.
 * `int64` takes numbers (must be safe integers) or bigints.
 * @throws GraphBuildError when the element count does not match the shape.
 */
export function tensor<T extends DataType>(
  dtype: T,
  shape: readonly number[],
  values: ArrayLike<number> | ArrayLike<bigint> | TypedArrayOf[T],
): TensorData<T> {
  const count = elementCount(shape);
  if (values.length !== count) {
    throw new GraphBuildError(
      'tensor',
      `${values.length} values do not fill shape [${shape.join(', ')}] (${count} elements)`,
    );
  }
  return { dtype, shape: [...shape], data: toTypedArray(dtype, values) };
}

function toTypedArray<T extends DataType>(dtype: T, values: ArrayLike<number> | ArrayLike<bigint>): TypedArrayOf[T] {
  switch (dtype) {
    case 'float32':
      return (
        values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>, Number)
      ) as TypedArrayOf[T];
    case 'float64':
      return (
        values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number)
      ) as TypedArrayOf[T];
    case 'int32':
      return (
        values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>, Number)
      ) as TypedArrayOf[T];
    case 'bool':
      return (
        values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>, (value) => (value ? 1 : 0))
      ) as TypedArrayOf[T];
    case 'float16':
      return (
        values instanceof Uint16Array
          ? values
          : Uint16Array.from(values as ArrayLike<number>, (value) => float16Bits(Number(value)))
      ) as TypedArrayOf[T];
    case 'int64': {
      if (values instanceof BigInt64Array) return values as TypedArrayOf[T];
      const result = new BigInt64Array(values.length);
      for (let index = 0; index < values.length; index += 1) {
        const value = values[index] as number | bigint;
        if (typeof value === 'number' && !Number.isSafeInteger(value)) {
          throw new GraphBuildError('tensor', `int64 value ${value} is not a safe integer`);
        }
        result[index] = BigInt(value);
      }
      return result as TypedArrayOf[T];
    }
    default:
      throw new GraphBuildError('tensor', `unsupported dtype ${String(dtype)}`);
  }
}

/** A 0-d tensor. */
export function scalar<T extends DataType>(dtype: T, value: number | bigint): TensorData<T> {
  return tensor(dtype, [], [value] as ArrayLike<number>);
}

/** The bytes of a tensor's elements, little-endian, sharing memory with `data` (no copy). */
export function tensorBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.data.buffer, data.data.byteOffset, data.data.byteLength);
}
