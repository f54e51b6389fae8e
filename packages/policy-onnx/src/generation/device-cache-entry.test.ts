import { describe, expect, it } from 'vitest';
import { DeviceCacheEntry } from './device-cache-entry';
import type { DeviceCacheBlock } from './device-kv-cache';

const block = { keys: [], values: [], rows: 1, slots: 3 } as unknown as DeviceCacheBlock;

describe('DeviceCacheEntry', () => {
  it('is freed when the pool drops it, or when the last holder lets go after that', () => {
    const freed: DeviceCacheBlock[] = [];
    const loose = new DeviceCacheEntry([1, 2, 3], block, (dropped) => freed.push(dropped));
    loose.drop();
    loose.drop();
    expect(freed.length).toBe(1);
    const held = new DeviceCacheEntry([1, 2, 3], block, (dropped) => freed.push(dropped));
    held.hold();
    held.hold();
    held.drop();
    held.letGo();
    expect(freed.length).toBe(1);
    held.letGo();
    expect(freed.length).toBe(2);
  });
});
