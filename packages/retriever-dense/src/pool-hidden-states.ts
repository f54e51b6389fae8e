import type { Pooling } from './embedding-conventions';

/**
 * Pools token states into one vector per sequence.
 *
 * @param hiddenStates `[batch, sequence, hidden]` row-major token states
 * @param attentionMask `[batch, sequence]`, 1 for real tokens and 0 for padding (padding on the right)
 * @returns `[batch, hidden]`: `mean` averages the states where the mask is 1 (a row with no real token
 * gives zeros); `cls` takes position 0; `last` takes the last position whose mask is 1.
 */
export function poolHiddenStates(
  hiddenStates: Float32Array,
  attentionMask: ArrayLike<number | bigint>,
  shape: { batch: number; sequence: number; hidden: number },
  pooling: Pooling,
): Float32Array {
  const { batch, sequence, hidden } = shape;
  const pooled = new Float32Array(batch * hidden);
  const masked = (row: number, position: number): boolean => Number(attentionMask[row * sequence + position]!) !== 0;
  for (let row = 0; row < batch; row += 1) {
    const target = row * hidden;
    const rowStart = row * sequence * hidden;
    switch (pooling) {
      case 'cls':
        pooled.set(hiddenStates.subarray(rowStart, rowStart + hidden), target);
        break;
      case 'last': {
        let last = 0;
        for (let position = 0; position < sequence; position += 1) if (masked(row, position)) last = position;
        const start = rowStart + last * hidden;
        pooled.set(hiddenStates.subarray(start, start + hidden), target);
        break;
      }
      case 'mean': {
        const sums = new Float64Array(hidden);
        let count = 0;
        for (let position = 0; position < sequence; position += 1) {
          if (!masked(row, position)) continue;
          count += 1;
          const start = rowStart + position * hidden;
          for (let unit = 0; unit < hidden; unit += 1) sums[unit] = sums[unit]! + hiddenStates[start + unit]!;
        }
        if (count > 0) for (let unit = 0; unit < hidden; unit += 1) pooled[target + unit] = sums[unit]! / count;
        break;
      }
      default: {
        const unknown: never = pooling;
        throw new Error(`unknown pooling ${String(unknown)}`);
      }
    }
  }
  return pooled;
}

/**
 * Scales each row of `vectors` (`[rows, dimension]`) to unit L2 norm, in place; a zero row stays zero.
 * @returns `vectors`
 */
export function normalizeRows(vectors: Float32Array, dimension: number): Float32Array {
  for (let start = 0; start < vectors.length; start += dimension) {
    let squares = 0;
    for (let unit = 0; unit < dimension; unit += 1) squares += vectors[start + unit]! * vectors[start + unit]!;
    if (squares === 0) continue;
    const scale = 1 / Math.sqrt(squares);
    for (let unit = 0; unit < dimension; unit += 1) vectors[start + unit] = vectors[start + unit]! * scale;
  }
  return vectors;
}
