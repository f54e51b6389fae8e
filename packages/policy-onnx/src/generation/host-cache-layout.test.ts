import { describe, expect, it } from 'vitest';
import { appendNewSlots, cachePrefix, packCaches, unpackCacheRow } from './host-cache-layout';

// One layer, two key-value heads of size 1: a contiguous cache of n slots is [head 0 slots…, head 1 slots…].
const shape = { numHiddenLayers: 1, numKeyValueHeads: 2, headDim: 1 };
const values = (...numbers: number[]) => Float32Array.from(numbers);

describe('host KV-cache layout', () => {
  it("cachePrefix keeps each head's first slots (the array itself when all are kept)", () => {
    const cache = values(1, 2, 3, 11, 12, 13);
    expect(Array.from(cachePrefix(shape, cache, 3, 2))).toEqual([1, 2, 11, 12]);
    expect(cachePrefix(shape, cache, 3, 3)).toBe(cache);
  });

  it('packCaches pads each row to `slots` after its own; unpackCacheRow takes the masked slots back', () => {
    const caches = [
      { length: 2, keys: [values(1, 2, 11, 12)], values: [values(-1, -2, -11, -12)] },
      { length: 1, keys: [values(5, 15)], values: [values(-5, -15)] },
    ];
    const packed = packCaches(shape, caches, 3);
    expect(Array.from(packed.keys[0]!)).toEqual([1, 2, 0, 11, 12, 0, 5, 0, 0, 15, 0, 0]);
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 0]);
    expect(unpackCacheRow(shape, packed.keys, packed.values, mask, 3, 0)).toEqual({
      keys: caches[0]!.keys,
      values: caches[0]!.values,
    });
    expect(unpackCacheRow(shape, packed.keys, packed.values, mask, 3, 1)).toEqual({
      keys: caches[1]!.keys,
      values: caches[1]!.values,
    });
  });

  it("appendNewSlots adds the last `piece` of a row's new slots after its cache, head by head", () => {
    // a run of two rows with 3 new tokens each, [rows, kvHeads, 3, headDim]; row 1's last 2 are real
    const added = [values(0, 0, 0, 0, 0, 0, 0, 7, 8, 0, 17, 18)];
    expect(appendNewSlots(shape, [values(1, 11)], 1, added, 1, 3, 2).map((array) => Array.from(array))).toEqual([
      [1, 7, 8, 11, 17, 18],
    ]);
  });
});
