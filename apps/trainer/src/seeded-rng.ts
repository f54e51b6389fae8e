import { InvalidInputError } from '@research-ts/spec';

/** The whole state of a {@link SeededRng}: four 32-bit words, plain JSON. */
export interface RngState {
  words: [number, number, number, number];
}

/**
 * xoshiro128** (Blackman and Vigna): a small, fast generator whose entire state is four uint32 words,
 * so a checkpoint saves it exactly and a resumed run draws the same numbers as an uninterrupted one.
 * Seeded through SplitMix32 so that nearby seeds give unrelated streams.
 */
export class SeededRng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidInputError(`must be a non-negative safe integer, got ${seed}`, { field: 'seed' });
    let state = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** A generator restored from {@link state}. */
  static fromState(state: RngState): SeededRng {
    const words = state?.words;
    if (!Array.isArray(words) || words.length !== 4 || words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffffffff)) {
      throw new InvalidInputError('must be four uint32 words', { field: 'rng.words' });
    }
    if (words.every((word) => word === 0)) throw new InvalidInputError('must not be all zero', { field: 'rng.words' });
    const rng = new SeededRng(0);
    [rng.#s0, rng.#s1, rng.#s2, rng.#s3] = words;
    return rng;
  }

  /** A copy of the state. */
  state(): RngState {
    return { words: [this.#s0, this.#s1, this.#s2, this.#s3] };
  }

  /** The next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 = (this.#s2 ^ this.#s0) >>> 0;
    this.#s3 = (this.#s3 ^ this.#s1) >>> 0;
    this.#s1 = (this.#s1 ^ this.#s2) >>> 0;
    this.#s0 = (this.#s0 ^ this.#s3) >>> 0;
    this.#s2 = (this.#s2 ^ t) >>> 0;
    this.#s3 = rotateLeft(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** An integer in [0, count), without modulo bias. */
  integer(count: number): number {
    if (!Number.isInteger(count) || count < 1 || count > 2 ** 32) throw new InvalidInputError(`must be an integer in [1, 2^32], got ${count}`, { field: 'count' });
    const limit = 2 ** 32 - (2 ** 32 % count);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % count;
    }
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new InvalidInputError('cannot pick from an empty list', { field: 'items' });
    return items[this.integer(items.length)]!;
  }
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}
