import { afterAll, describe, expect, it } from 'vitest';
import { readDeviceTensors, uploadTensor } from '../backend/onnxruntime';
import { tinyConfig } from '../model/decoder-config-presets';
import { DeviceKvCache, type CacheRow, type DeviceCacheBlock } from './device-kv-cache';

const config = tinyConfig({ numHiddenLayers: 2 });
const { numKeyValueHeads: kvHeads, headDim } = config;

/** A block whose element [row, head, slot, d] of layer l (keys; values negated) is a readable number. */
async function block(tag: number, rows: number, slots: number): Promise<DeviceCacheBlock> {
  const layers = (sign: number) =>
    Promise.all(
      Array.from({ length: config.numHiddenLayers }, (_, layer) => {
        const data = new Float32Array(rows * kvHeads * slots * headDim);
        data.forEach((_, index) => (data[index] = sign * (tag * 10000 + layer * 1000 + index)));
        return uploadTensor('cpu', { data, dims: [rows, kvHeads, slots, headDim] });
      }),
    );
  return { keys: await layers(1), values: await layers(-1), rows, slots };
}

/** What `gather` must give, computed from the same formula. */
function expected(
  tag: (block: DeviceCacheBlock) => number,
  rows: readonly CacheRow[],
  width: number,
  layer: number,
  sign: number,
): number[] {
  const out: number[] = [];
  for (const { block, row, slots } of rows) {
    for (let head = 0; head < kvHeads; head++) {
      for (let slot = 0; slot < slots.length; slot++) {
        for (let d = 0; d < headDim; d++)
          out.push(
            sign *
              (tag(block) * 10000 + layer * 1000 + ((row * kvHeads + head) * block.slots + slots[slot]!) * headDim + d),
          );
      }
      // padding slots: only their count matters (masked)
      for (let slot = slots.length; slot < width; slot++) for (let d = 0; d < headDim; d++) out.push(Number.NaN);
    }
  }
  return out;
}

function compare(actual: Float32Array, reference: number[]): void {
  expect(actual.length).toBe(reference.length);
  reference.forEach((value, index) => {
    if (Number.isNaN(value)) expect(Number.isFinite(actual[index]!)).toBe(true);
    else expect(actual[index]).toBe(value);
  });
}

describe('DeviceKvCache.gather (cpu provider)', () => {
  const cache = new DeviceKvCache(config, 'cpu');
  afterAll(() => cache.release());

  it('picks rows and slots of one block, padding shorter rows', async () => {
    const source = await block(1, 3, 5);
    const rows: CacheRow[] = [
      { block: source, row: 2, slots: [0, 1, 2, 4] },
      { block: source, row: 0, slots: [3] },
    ];
    const gathered = await cache.gather(rows, 4);
    expect([gathered.rows, gathered.slots, gathered.keys[0]!.dims]).toEqual([2, 4, [2, kvHeads, 4, headDim]]);
    const [keys1, values0] = await readDeviceTensors([gathered.keys[1]!, gathered.values[0]!]);
    compare(
      keys1!,
      expected(() => 1, rows, 4, 1, 1),
    );
    compare(
      values0!,
      expected(() => 1, rows, 4, 0, -1),
    );
    cache.discard(gathered);
    expect(gathered.keys[0]!.disposed).toBe(true);
  });

  it('stacks blocks of different slot counts (and an empty row from the blank block)', async () => {
    const first = await block(1, 1, 2);
    const second = await block(2, 2, 6);
    const third = await block(3, 1, 3);
    const blank = await cache.blank();
    const rows: CacheRow[] = [
      { block: second, row: 1, slots: [0, 1, 2, 3, 4, 5] },
      { block: first, row: 0, slots: [0, 1] },
      { block: blank, row: 0, slots: [] },
      { block: third, row: 0, slots: [2, 0] },
      { block: second, row: 0, slots: [5] },
    ];
    const gathered = await cache.gather(rows, 7);
    const tags = new Map([
      [first, 1],
      [second, 2],
      [third, 3],
    ]);
    const [keys0, values1] = await readDeviceTensors([gathered.keys[0]!, gathered.values[1]!]);
    compare(
      keys0!,
      expected((source) => tags.get(source)!, rows, 7, 0, 1),
    );
    compare(
      values1!,
      expected((source) => tags.get(source)!, rows, 7, 1, -1),
    );
    cache.discard(blank); // left alone
    expect(blank.keys[0]!.disposed).toBe(false);
  });
});
