/**
 * The keys and values of one sequence for every layer: `keys[layer]` and `values[layer]` are
 * `[kvHeads, length, headDim]` row-major (keys after RoPE), for the tokens `tokenIds`.
 */
export interface SequenceCache {
  tokenIds: readonly number[];
  keys: Float32Array[];
  values: Float32Array[];
}

/** What the pool needs of an entry: the token ids its keys and values are for. */
export interface CachedSequence {
  readonly tokenIds: readonly number[];
}

/** A usable prefix of a cached sequence: its first `length` tokens. */
export interface CacheMatch<Entry extends CachedSequence = SequenceCache> {
  entry: Entry;
  length: number;
}

/** How a pool sizes and frees entries that are not host arrays (device tensors). */
export interface KvCachePoolOptions<Entry extends CachedSequence> {
  /** Bytes an entry holds (default: the byte lengths of a `SequenceCache`'s arrays). */
  bytesOf?: (entry: Entry) => number;
  /** Called once for every entry the pool drops or declines (default: nothing; host arrays are garbage collected). */
  dispose?: (entry: Entry) => void;
}

const hostBytes = (cache: SequenceCache): number =>
  [...cache.keys, ...cache.values].reduce((total, array) => total + array.byteLength, 0);

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
 *
 * The pool owns what it is given: an entry it drops (covered, evicted, cleared) or declines (covered
 * already, or larger than `maxBytes`) goes to `options.dispose`. An entry returned by `longestPrefix`
 * may be dropped by the next `add` or `clear`.
 */
export class KvCachePool<Entry extends CachedSequence = SequenceCache> {
  readonly #entries = new Map<number, { entry: Entry; bytes: number }>();
  readonly #bytesOf: (entry: Entry) => number;
  readonly #dispose: (entry: Entry) => void;
  #nextKey = 0;
  #bytes = 0;

  constructor(
    readonly maxBytes: number,
    options: KvCachePoolOptions<Entry> = {},
  ) {
    this.#bytesOf = options.bytesOf ?? ((entry) => hostBytes(entry as unknown as SequenceCache));
    this.#dispose = options.dispose ?? (() => {});
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The entry sharing the longest prefix with `tokenIds`, at most `limit` tokens; marks it used. */
  longestPrefix(tokenIds: readonly number[], limit: number): CacheMatch<Entry> | undefined {
    let best: { key: number; length: number } | undefined;
    for (const [key, { entry }] of this.#entries) {
      const length = commonPrefixLength(entry.tokenIds, tokenIds, limit);
      if (length > 0 && (best === undefined || length >= best.length)) best = { key, length };
    }
    if (best === undefined) return undefined;
    const record = this.#entries.get(best.key)!;
    this.#entries.delete(best.key);
    this.#entries.set(best.key, record);
    return { entry: record.entry, length: best.length };
  }

  /** Adds a sequence's cache, unless an entry already covers its ids; the arrays are kept, not copied. */
  add(cache: Entry): void {
    if (cache.tokenIds.length === 0) return this.#dispose(cache);
    for (const { entry } of this.#entries.values()) {
      if (
        entry.tokenIds.length >= cache.tokenIds.length &&
        commonPrefixLength(entry.tokenIds, cache.tokenIds, Infinity) === cache.tokenIds.length
      )
        return this.#dispose(cache);
    }
    for (const [key, { entry }] of this.#entries) {
      if (
        entry.tokenIds.length <= cache.tokenIds.length &&
        commonPrefixLength(entry.tokenIds, cache.tokenIds, Infinity) === entry.tokenIds.length
      )
        this.#drop(key);
    }
    const bytes = this.#bytesOf(cache);
    if (bytes > this.maxBytes) return this.#dispose(cache);
    this.#entries.set(this.#nextKey++, { entry: cache, bytes });
    this.#bytes += bytes;
    for (const key of this.#entries.keys()) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(key);
    }
  }

  clear(): void {
    for (const key of [...this.#entries.keys()]) this.#drop(key);
    this.#bytes = 0;
  }

  #drop(key: number): void {
    const record = this.#entries.get(key)!;
    this.#entries.delete(key);
    this.#bytes -= record.bytes;
    this.#dispose(record.entry);
  }
}
