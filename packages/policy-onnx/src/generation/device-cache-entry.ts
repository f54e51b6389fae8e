import type { DeviceCacheBlock } from './device-kv-cache';
import type { CachedSequence } from './kv-cache-pool';

/**
 * A KV-cache pool entry on the device: one sequence's keys and values, a block of one row whose slots
 * are its tokens in order. The pool may drop an entry while a generation still reads it (another call's
 * `add`): a holder keeps the tensors alive until it lets go.
 */
export class DeviceCacheEntry implements CachedSequence {
  readonly tokenIds: readonly number[];
  readonly block: DeviceCacheBlock;
  readonly #discard: (block: DeviceCacheBlock) => void;
  #holders = 0;
  #dropped = false;

  constructor(tokenIds: readonly number[], block: DeviceCacheBlock, discard: (block: DeviceCacheBlock) => void) {
    this.tokenIds = tokenIds;
    this.block = block;
    this.#discard = discard;
  }

  /** Bytes of its tensors (float32). */
  get bytes(): number {
    return [...this.block.keys, ...this.block.values].reduce((total, tensor) => total + tensor.size * 4, 0);
  }

  /** Keeps the tensors alive until the matching `letGo`, even if the pool drops the entry meanwhile. */
  hold(): void {
    this.#holders += 1;
  }

  letGo(): void {
    this.#holders -= 1;
    if (this.#holders === 0 && this.#dropped) this.#discard(this.block);
  }

  /** The pool is done with it: its tensors are freed now, or when the last holder lets go. */
  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    if (this.#holders === 0) this.#discard(this.block);
  }
}
