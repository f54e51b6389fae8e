import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';

/** Real values of a batch, read as float64 whatever the storage. */
export type RealArray = Float32Array | Float64Array;

/**
 * A loss mask. 0 drops the token; any other value weights it (verl multiplies the loss by the mask,
 * so a 0/1 mask selects tokens and a fractional mask weights them).
 */
export type MaskArray = Uint8Array | Float32Array | Float64Array;

/** Number of rows of a `[batch, responseLength]` row-major array; throws when the length does not divide. */
export function rowCount(field: string, values: ArrayLike<number>, responseLength: number): number {
  if (!Number.isInteger(responseLength) || responseLength <= 0) {
    throw new InvalidConfigError('responseLength', `must be a positive integer, got ${responseLength}`);
  }
  if (values.length % responseLength !== 0) {
    throw new InvalidInputError(
      `length ${values.length} is not a multiple of responseLength ${responseLength} (expected [batch, responseLength])`,
      { field },
    );
  }
  return values.length / responseLength;
}

/** Throws unless `values` has exactly `expected` elements. */
export function expectLength(field: string, values: ArrayLike<number>, expected: number, shape: string): void {
  if (values.length !== expected) {
    throw new InvalidInputError(`expected ${expected} values (${shape}), got ${values.length}`, { field });
  }
}

/** Throws unless `value` is a finite number satisfying `predicate`. */
export function expectNumber(path: string, value: number, predicate: (value: number) => boolean, rule: string): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !predicate(value)) {
    throw new InvalidConfigError(path, `${rule}, got ${String(value)}`);
  }
}

/** Per-row sums of a `[batch, responseLength]` mask. */
export function rowMaskSums(mask: MaskArray, responseLength: number): Float64Array {
  const batch = rowCount('mask', mask, responseLength);
  const sums = new Float64Array(batch);
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    let sum = 0;
    for (let t = 0; t < responseLength; t++) sum += mask[offset + t]!;
    sums[row] = sum;
  }
  return sums;
}
