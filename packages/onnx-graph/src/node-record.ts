import type { TensorData } from './tensor-data.js';
import type { Value } from './value.js';

/** An ONNX attribute with its wire type spelled out. */
export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: TensorData };

/** One node of a graph as the builder records it. */
export interface NodeRecord {
  readonly opType: string;
  /** The operator set domain for ops outside ONNX's default one (e.g. `com.microsoft`); absent for ONNX ops. */
  readonly domain?: string;
  /** Unique node name. */
  readonly name: string;
  /** Operands in ONNX order; `undefined` marks an omitted optional input. */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /**
   * Static facts the op's vector-Jacobian product reads (axes, perm, exponent…), also when ONNX
   * carries them as constant inputs rather than attributes.
   */
  readonly params: Readonly<Record<string, unknown>>;
}

export const attribute = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value: [...value] }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  tensor: (value: TensorData): AttributeValue => ({ kind: 'tensor', value }),
};
