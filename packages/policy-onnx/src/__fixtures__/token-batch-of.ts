// Test helper: token-id rows as the training passes take them.
import type { TokenBatch } from '@research-ts/spec';

/** Right-pads token-id rows (with id 0, masked) into one spec `TokenBatch`. */
export function tokenBatchOf(rows: readonly (readonly number[])[]): TokenBatch {
  const length = Math.max(...rows.map((row) => row.length));
  const inputIds = new Int32Array(rows.length * length);
  const attentionMask = new Uint8Array(rows.length * length);
  rows.forEach((row, index) => {
    inputIds.set(row, index * length);
    attentionMask.fill(1, index * length, index * length + row.length);
  });
  return { inputIds, attentionMask, batch: rows.length, length };
}
