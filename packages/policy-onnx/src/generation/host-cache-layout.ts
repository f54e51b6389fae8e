import type { DecoderConfig } from '../model/decoder-config';

/** The dimensions of a decoder's KV cache. */
export type CacheShape = Pick<DecoderConfig, 'numHiddenLayers' | 'numKeyValueHeads' | 'headDim'>;

/** One sequence's contiguous cache: `[kvHeads, length, headDim]` per layer, every slot real. */
export interface ContiguousCache {
  length: number;
  keys: Float32Array[];
  values: Float32Array[];
}

/** The first `length` slots of a `[kvHeads, total, headDim]` cache (the array itself when `length === total`). */
export function cachePrefix(shape: CacheShape, array: Float32Array, total: number, length: number): Float32Array {
  const { numKeyValueHeads: kvHeads, headDim } = shape;
  if (length === total) return array;
  const out = new Float32Array(kvHeads * length * headDim);
  for (let head = 0; head < kvHeads; head++)
    out.set(array.subarray(head * total * headDim, (head * total + length) * headDim), head * length * headDim);
  return out;
}

/** Packs contiguous per-row caches into `[rows, kvHeads, slots, headDim]` per layer: each row's slots first, the rest zero. */
export function packCaches(
  shape: CacheShape,
  caches: readonly ContiguousCache[],
  slots: number,
): { keys: Float32Array[]; values: Float32Array[] } {
  const { numHiddenLayers: layers, numKeyValueHeads: kvHeads, headDim } = shape;
  const rows = caches.length;
  const pack = (pick: (cache: ContiguousCache) => Float32Array[]) =>
    Array.from({ length: layers }, (_, layer) => {
      const out = new Float32Array(rows * kvHeads * slots * headDim);
      caches.forEach((cache, row) => {
        const { length } = cache;
        const source = pick(cache)[layer]!;
        for (let head = 0; head < kvHeads; head++)
          out.set(
            source.subarray(head * length * headDim, (head + 1) * length * headDim),
            (row * kvHeads + head) * slots * headDim,
          );
      });
      return out;
    });
  return { keys: pack((cache) => cache.keys), values: pack((cache) => cache.values) };
}

/**
 * A row's contiguous cache of `length` slots (per layer) extended by its `piece` new slots: the last
 * `piece` of the `newTokens` slots of row `row` in a run's new keys or values `[rows, kvHeads, newTokens, headDim]`.
 */
export function appendNewSlots(
  shape: CacheShape,
  cache: readonly Float32Array[],
  length: number,
  added: readonly Float32Array[],
  row: number,
  newTokens: number,
  piece: number,
): Float32Array[] {
  const { numKeyValueHeads: kvHeads, headDim } = shape;
  return cache.map((old, layer) => {
    const extended = new Float32Array(kvHeads * (length + piece) * headDim);
    for (let head = 0; head < kvHeads; head++) {
      extended.set(
        old.subarray(head * length * headDim, (head + 1) * length * headDim),
        head * (length + piece) * headDim,
      );
      const from = ((row * kvHeads + head) * newTokens + newTokens - piece) * headDim;
      extended.set(added[layer]!.subarray(from, from + piece * headDim), (head * (length + piece) + length) * headDim);
    }
    return extended;
  });
}

/**
 * The contiguous cache (`[kvHeads, used, headDim]` per layer) of row `row` of a padded batch of `slots` slots: its
 * slots whose mask is 1, in order (copied a run of consecutive real slots at a time).
 */
export function unpackCacheRow(
  shape: CacheShape,
  keys: Float32Array[],
  values: Float32Array[],
  mask: Uint8Array,
  slots: number,
  row: number,
): { keys: Float32Array[]; values: Float32Array[] } {
  const { numKeyValueHeads: kvHeads, headDim } = shape;
  const runs = maskedRuns(mask, slots, row);
  const used = runs.reduce((total, [start, end]) => total + end - start, 0);
  const unpack = (arrays: Float32Array[]) =>
    arrays.map((array) => {
      const out = new Float32Array(kvHeads * used * headDim);
      for (let head = 0; head < kvHeads; head++) {
        const base = (row * kvHeads + head) * slots;
        let position = head * used;
        for (const [start, end] of runs) {
          out.set(array.subarray((base + start) * headDim, (base + end) * headDim), position * headDim);
          position += end - start;
        }
      }
      return out;
    });
  return { keys: unpack(keys), values: unpack(values) };
}

/** The runs `[start, end)` of consecutive slots of row `row` of a `[rows, slots]` mask that hold a real token, in order. */
function maskedRuns(mask: Uint8Array, slots: number, row: number): [number, number][] {
  const runs: [number, number][] = [];
  const offset = row * slots;
  for (let slot = 0; slot < slots;) {
    if (mask[offset + slot] !== 1) {
      slot++;
      continue;
    }
    const start = slot;
    while (slot < slots && mask[offset + slot] === 1) slot++;
    runs.push([start, slot]);
  }
  return runs;
}

/** The slots of row `row` of a `[rows, slots]` mask that hold a real token (mask 1), in order. */
export function maskedSlots(mask: Uint8Array, slots: number, row: number): number[] {
  const used: number[] = [];
  for (let slot = 0; slot < slots; slot++) if (mask[row * slots + slot] === 1) used.push(slot);
  return used;
}
