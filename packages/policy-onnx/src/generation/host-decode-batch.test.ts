import { describe, expect, it } from 'vitest';
import {
  appendDecodeStep,
  decodeStepMask,
  growDecodeBatch,
  keepDecodeRows,
  packDecodeBatch,
  unpackDecodeRow,
} from './host-decode-batch';
import type { Sequence } from './sequence';

// One layer, one key-value head of size 1, so that a row's cache reads as its slot values.
const shape = { numHiddenLayers: 1, numKeyValueHeads: 1, headDim: 1 };
const sequenceWith = (cachedIds: number[]) => ({ cachedIds }) as unknown as Sequence;
const cacheOf = (tokenIds: number[]) => ({
  tokenIds,
  keys: [Float32Array.from(tokenIds)],
  values: [Float32Array.from(tokenIds, (id) => -id)],
});

describe('host decode batch', () => {
  it("packs rows with spare capacity, appends a step in place, grows when full and unpacks each row's real slots", () => {
    const sequences = [sequenceWith([1, 2, 3]), sequenceWith([4])];
    let batch = packDecodeBatch(shape, sequences, [cacheOf([1, 2, 3]), cacheOf([4])]);
    expect([batch.slots, batch.capacity]).toEqual([3, 19]);
    const mask = decodeStepMask(batch);
    expect(mask.length).toBe(2 * 20);
    expect([...mask.subarray(0, 4), mask[19], ...mask.subarray(20, 22), mask[39]]).toEqual([1, 1, 1, 0, 1, 1, 0, 1]);
    // the new tokens' keys and values go into slot 3 of both rows
    appendDecodeStep(shape, batch, { keys: [Float32Array.from([9, 8])], values: [Float32Array.from([-9, -8])] });
    sequences[0]!.cachedIds.push(9);
    sequences[1]!.cachedIds.push(8);
    expect(batch.slots).toBe(4);
    batch = growDecodeBatch(shape, batch);
    expect([batch.slots, batch.capacity, batch.keys[0]!.length, batch.mask.length]).toEqual([4, 20, 40, 40]);
    expect(unpackDecodeRow(shape, batch, 0)).toEqual({
      tokenIds: [1, 2, 3, 9],
      keys: [Float32Array.from([1, 2, 3, 9])],
      values: [Float32Array.from([-1, -2, -3, -9])],
    });
    expect(unpackDecodeRow(shape, batch, 1)).toEqual({
      tokenIds: [4, 8],
      keys: [Float32Array.from([4, 8])],
      values: [Float32Array.from([-4, -8])],
    });
  });

  it('keeps the chosen rows in place: each with its slots, mask and sequence, the others gone', () => {
    const sequences = [sequenceWith([1, 2]), sequenceWith([3]), sequenceWith([4, 5, 6]), sequenceWith([7])];
    const batch = packDecodeBatch(
      shape,
      sequences,
      sequences.map((sequence) => cacheOf(sequence.cachedIds)),
    );
    const unpackedBefore = [2, 3].map((row) => unpackDecodeRow(shape, batch, row));
    const kept = keepDecodeRows(shape, batch, [2, 3]);
    expect(kept.sequences).toEqual([sequences[2], sequences[3]]);
    expect([kept.slots, kept.capacity, kept.keys[0]!.length, kept.mask.length]).toEqual([3, 19, 38, 38]);
    expect([...kept.mask.subarray(0, 4), ...kept.mask.subarray(19, 21)]).toEqual([1, 1, 1, 0, 1, 0]);
    expect([0, 1].map((row) => unpackDecodeRow(shape, kept, row))).toEqual(unpackedBefore);
    // the arrays are the batch's own, compacted (no copy of the whole cache)
    expect(kept.keys[0]!.buffer).toBe(batch.keys[0]!.buffer);
  });
});
