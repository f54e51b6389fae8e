import { packCaches, unpackCacheRow, type CacheShape } from './host-cache-layout';
import type { SequenceCache } from './kv-cache-pool';
import type { Sequence } from './sequence';
import { withNewTokenSlot } from './step-feeds';

/** The sequences decoding together on the host: every layer's cache `[rows, kvHeads, capacity, headDim]` and which slots each row uses. */
export interface HostDecodeBatch {
  sequences: Sequence[];
  /** Slots written so far (the same for every row; a row's padding slots are masked). */
  slots: number;
  /** Slots allocated per row (`≥ slots`); the unused ones are masked. */
  capacity: number;
  /** Per layer `[rows, kvHeads, capacity, headDim]`. */
  keys: Float32Array[];
  values: Float32Array[];
  /** `[rows · capacity]` 1 where a slot holds a real token of the row. */
  mask: Uint8Array;
}

/** Slots to allocate for a batch whose rows use `slots`: room for at least 16 more (or half as many again). */
const capacityFor = (slots: number) => slots + Math.max(16, slots >> 1);

/** Packs contiguous per-sequence caches into one padded decode batch with room for more slots. */
export function packDecodeBatch(
  shape: CacheShape,
  sequences: Sequence[],
  caches: readonly SequenceCache[],
): HostDecodeBatch {
  const slots = Math.max(...caches.map((cache) => cache.tokenIds.length));
  const capacity = capacityFor(slots);
  const rows = sequences.length;
  const mask = new Uint8Array(rows * capacity);
  caches.forEach((cache, row) => mask.fill(1, row * capacity, row * capacity + cache.tokenIds.length));
  const packed = packCaches(
    shape,
    caches.map((cache) => ({ length: cache.tokenIds.length, keys: cache.keys, values: cache.values })),
    capacity,
  );
  return { sequences, slots, capacity, keys: packed.keys, values: packed.values, mask };
}

/** The same batch with a larger capacity: every row's first `slots` slots (padding included) and mask copied over. */
export function growDecodeBatch(shape: CacheShape, batch: HostDecodeBatch): HostDecodeBatch {
  const { numKeyValueHeads: kvHeads, headDim } = shape;
  const rows = batch.sequences.length;
  const capacity = capacityFor(batch.slots);
  const widen = (arrays: Float32Array[]) =>
    arrays.map((array) => {
      const wide = new Float32Array(rows * kvHeads * capacity * headDim);
      for (let line = 0; line < rows * kvHeads; line++)
        wide.set(
          array.subarray(line * batch.capacity * headDim, (line * batch.capacity + batch.slots) * headDim),
          line * capacity * headDim,
        );
      return wide;
    });
  const mask = new Uint8Array(rows * capacity);
  for (let row = 0; row < rows; row++)
    mask.set(batch.mask.subarray(row * batch.capacity, row * batch.capacity + batch.slots), row * capacity);
  return { ...batch, capacity, keys: widen(batch.keys), values: widen(batch.values), mask };
}

/** The attention mask of a decode step `[rows, capacity + 1]`: every allocated slot (the unused ones masked), then the new token. */
export function decodeStepMask(batch: HostDecodeBatch): Uint8Array {
  return withNewTokenSlot(batch.mask, batch.sequences.length, batch.capacity);
}

/** Writes a decode step's new keys and values (`[rows, kvHeads, 1, headDim]` per layer) into slot `slots` of each row, in place, and counts the slot. */
export function appendDecodeStep(
  shape: CacheShape,
  batch: HostDecodeBatch,
  step: { keys: Float32Array[]; values: Float32Array[] },
): void {
  const { numHiddenLayers: layers, numKeyValueHeads: kvHeads, headDim } = shape;
  const { capacity, slots } = batch;
  const rows = batch.sequences.length;
  for (let layer = 0; layer < layers; layer++) {
    for (let line = 0; line < rows * kvHeads; line++) {
      const target = (line * capacity + slots) * headDim;
      batch.keys[layer]!.set(step.keys[layer]!.subarray(line * headDim, (line + 1) * headDim), target);
      batch.values[layer]!.set(step.values[layer]!.subarray(line * headDim, (line + 1) * headDim), target);
    }
  }
  for (let row = 0; row < rows; row++) batch.mask[row * capacity + slots] = 1;
  batch.slots = slots + 1;
}

/**
 * The batch with only `rows` (ascending), compacted in place: their cache blocks and masks move to the first
 * rows of the same arrays, at the same slots and capacity, so that each kept row attends over the slots it had.
 * The arrays are views of `batch`'s, which is spent.
 */
export function keepDecodeRows(shape: CacheShape, batch: HostDecodeBatch, rows: readonly number[]): HostDecodeBatch {
  const { numKeyValueHeads: kvHeads, headDim } = shape;
  const { capacity } = batch;
  const compact = <T extends Float32Array | Uint8Array>(array: T, block: number): T => {
    rows.forEach((row, index) => {
      if (row !== index) array.copyWithin(index * block, row * block, (row + 1) * block);
    });
    return array.subarray(0, rows.length * block) as T;
  };
  const block = kvHeads * capacity * headDim;
  return {
    sequences: rows.map((row) => batch.sequences[row]!),
    slots: batch.slots,
    capacity,
    keys: batch.keys.map((array) => compact(array, block)),
    values: batch.values.map((array) => compact(array, block)),
    mask: compact(batch.mask, capacity),
  };
}

/** The contiguous cache of one row of a decode batch (its real slots, in order). */
export function unpackDecodeRow(shape: CacheShape, batch: HostDecodeBatch, row: number): SequenceCache {
  const sequence = batch.sequences[row]!;
  return {
    tokenIds: [...sequence.cachedIds],
    ...unpackCacheRow(shape, batch.keys, batch.values, batch.mask, batch.capacity, row),
  };
}
