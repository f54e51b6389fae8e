/**
 * The keys and values of one sequence for every layer: `keys[layer]` and `values[layer]` are
 * `[kvHeads, length, headDim]` row-major (keys after RoPE), for the tokens `tokenIds`.
 */
export interface SequenceCache {
  tokenIds: readonly number[];
  keys: Float32Array[];
  values: Float32Array[];
}

/** A usable prefix of a cached sequence: its first `length` tokens. */
export interface CacheMatch {
  entry: SequenceCache;
  length: number;
}

function commonPrefixLength(left: readonly number[], right: readonly number[], limit: number): number {
  const end = Math.min(left.length, right.length, limit);
  let index = 0;
  while (index < end && left[index] === right[index]) index++;
  return index;
}

/**
 * A bounded LRU pool of per-sequence KV caches, looked up by token-id prefix. The cache of a token
 * depends only on the tokens up to it, so the first `n` slots of any entry serve any context that
 * starts with the same `n` ids: `longestPrefix` returns the entry sharing the longest prefix.
 * Adding an entry drops the entries whose ids are a prefix of its ids (it covers them). When the
 * bytes exceed `maxBytes`, the least recently used entries go.
 */
export class KvCachePool {
  readonly #entries = new Map<number, SequenceCache & { bytes: number }>();
  #nextKey = 0;
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The entry sharing the longest prefix with `tokenIds`, at most `limit` tokens; marks it used. */
  longestPrefix(tokenIds: readonly number[], limit: number): CacheMatch | undefined {
    let best: { key: number; length: number } | undefined;
    for (const [key, entry] of this.#entries) {
      const length = commonPrefixLength(entry.tokenIds, tokenIds, limit);
      if (length > 0 && (best === undefined || length >= best.length)) best = { key, length };
    }
    if (best === undefined) return undefined;
    const entry = this.#entries.get(best.key)!;
    this.#entries.delete(best.key);
    this.#entries.set(best.key, entry);
    return { entry, length: best.length };
  }

  /** Adds a sequence's cache, unless an entry already covers its ids; the arrays are kept, not copied. */
  add(cache: SequenceCache): void {
    if (cache.tokenIds.length === 0) return;
    for (const entry of this.#entries.values()) {
      if (entry.tokenIds.length >= cache.tokenIds.length && commonPrefixLength(entry.tokenIds, cache.tokenIds, Infinity) === cache.tokenIds.length) return;
    }
    for (const [key, entry] of this.#entries) {
      if (entry.tokenIds.length <= cache.tokenIds.length && commonPrefixLength(entry.tokenIds, cache.tokenIds, Infinity) === entry.tokenIds.length) {
        this.#entries.delete(key);
        this.#bytes -= entry.bytes;
      }
    }
    const bytes = [...cache.keys, ...cache.values].reduce((total, array) => total + array.byteLength, 0);
    if (bytes > this.maxBytes) return;
    this.#entries.set(this.#nextKey++, { ...cache, bytes });
    this.#bytes += bytes;
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
