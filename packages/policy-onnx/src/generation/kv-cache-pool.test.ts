import { describe, expect, it } from 'vitest';
import { KvCachePool, type SequenceCache } from './kv-cache-pool';

const cache = (tokenIds: number[]): SequenceCache => ({
  tokenIds,
  keys: [new Float32Array(tokenIds.length)],
  values: [new Float32Array(tokenIds.length)],
});

describe('KvCachePool', () => {
  it('returns the entry with the longest common prefix, capped by the limit', () => {
    const pool = new KvCachePool(1 << 20);
    pool.add(cache([1, 2, 3, 4]));
    pool.add(cache([1, 2, 9]));
    expect(pool.longestPrefix([1, 2, 3, 4, 5], 4)).toMatchObject({ length: 4, entry: { tokenIds: [1, 2, 3, 4] } });
    expect(pool.longestPrefix([1, 2, 3, 4], 3)!.length).toBe(3); // at least one token must be left to run
    expect(pool.longestPrefix([1, 2, 9, 9], 9)).toMatchObject({ length: 3, entry: { tokenIds: [1, 2, 9] } });
    expect(pool.longestPrefix([1, 7], 9)!.length).toBe(1);
    expect(pool.longestPrefix([7], 9)).toBeUndefined();
  });

  it('an entry covering another replaces it; a covered entry is not added', () => {
    const pool = new KvCachePool(1 << 20);
    pool.add(cache([1, 2]));
    pool.add(cache([1, 2, 3]));
    expect(pool.size).toBe(1);
    pool.add(cache([1, 2]));
    expect(pool.size).toBe(1);
    expect(pool.bytes).toBe(2 * 3 * 4);
  });

  it('evicts the least recently used entries beyond maxBytes', () => {
    const pool = new KvCachePool(3 * 2 * 4 * 2); // two 3-token entries
    pool.add(cache([1, 1, 1]));
    pool.add(cache([2, 2, 2]));
    pool.longestPrefix([1, 1, 1, 5], 3); // touch the first
    pool.add(cache([3, 3, 3]));
    expect(pool.size).toBe(2);
    expect(pool.longestPrefix([2, 2, 2, 5], 3)).toBeUndefined();
    expect(pool.longestPrefix([1, 1, 1, 5], 3)!.length).toBe(3);
    pool.add(cache(Array.from({ length: 100 }, () => 4))); // larger than the whole pool: not kept
    expect(pool.longestPrefix([4, 4], 1)).toBeUndefined();
    pool.clear();
    expect([pool.size, pool.bytes]).toEqual([0, 0]);
  });

  it('hands every entry it drops or declines to dispose, once', () => {
    const disposed: string[] = [];
    const entry = (tokenIds: number[]) => ({ tokenIds, bytes: tokenIds.length });
    const pool = new KvCachePool<{ tokenIds: number[]; bytes: number }>(6, {
      bytesOf: (cache) => cache.bytes,
      dispose: (cache) => disposed.push(cache.tokenIds.join(',')),
    });
    pool.add(entry([1, 2]));
    pool.add(entry([1, 2, 3])); // covers [1, 2]
    pool.add(entry([1])); // covered: declined
    pool.add(entry([5, 5, 5, 5])); // over 6 bytes with [1, 2, 3]: the older goes
    pool.add(entry([9, 9, 9, 9, 9, 9, 9])); // larger than the pool: declined
    pool.add(entry([])); // nothing to cache: declined
    expect(disposed).toEqual(['1,2', '1', '1,2,3', '9,9,9,9,9,9,9', '']);
    pool.clear();
    expect(disposed.slice(5)).toEqual(['5,5,5,5']);
    expect([pool.size, pool.bytes]).toEqual([0, 0]);
  });
});
