import { InvalidConfigError } from '@research-ts/spec';

const stateSize = 624;
const shift = 397;
const upperMask = 0x80000000;
const lowerMask = 0x7fffffff;
const matrixA = 0x9908b0df;
const twoTo32 = 4294967296;

/** The number of bits of a non-negative integer below 2^53 (Python's `int.bit_length`). */
function bitLength(value: number): number {
  if (value < twoTo32) return 32 - Math.clz32(value);
  return 32 + bitLength(Math.floor(value / twoTo32));
}

/** The 32-bit words of |seed|, least significant first, as CPython's `random_seed` builds the init key. */
function seedKey(seed: number | bigint): number[] {
  let magnitude: bigint;
  if (typeof seed === 'bigint') magnitude = seed < 0n ? -seed : seed;
  else {
    if (!Number.isSafeInteger(seed)) {
      throw new InvalidConfigError(
        'seed',
        `must be a safe integer or a bigint (got ${seed}); Python hashes other seeds, which is not reproduced`,
      );
    }
    magnitude = BigInt(Math.abs(seed));
  }
  const key: number[] = [];
  do {
    key.push(Number(magnitude & 0xffffffffn));
    magnitude >>= 32n;
  } while (magnitude > 0n);
  return key;
}

/**
 * CPython's `random.Random` for integer seeds: the MT19937 generator seeded with `init_by_array` over the
 * seed's 32-bit words, `getrandbits`, `random()` (53-bit floats), `_randbelow` (rejection sampling over
 * `n.bit_length()` bits) and `shuffle` (Fisher-Yates from the end), so that `new PythonRandom(42).shuffle(list)`
 * orders a list exactly as `random.seed(42); random.shuffle(list)` does in Python 3.2 and later.
 */
export class PythonRandom {
  readonly #state = new Uint32Array(stateSize);
  #index = stateSize + 1;

  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** Reseeds like `random.seed(seed)` for an int seed (its sign is dropped, as in Python). */
  seed(seed: number | bigint): void {
    this.#initByArray(seedKey(seed));
  }

  #initGenrand(seed: number): void {
    const state = this.#state;
    state[0] = seed >>> 0;
    for (let index = 1; index < stateSize; index += 1) {
      const previous = state[index - 1]!;
      state[index] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + index) >>> 0;
    }
    this.#index = stateSize;
  }

  #initByArray(key: readonly number[]): void {
    const state = this.#state;
    this.#initGenrand(19650218);
    let index = 1;
    let keyIndex = 0;
    for (let count = Math.max(stateSize, key.length); count > 0; count -= 1) {
      const previous = state[index - 1]!;
      state[index] =
        ((state[index]! ^ Math.imul(previous ^ (previous >>> 30), 1664525)) + key[keyIndex]! + keyIndex) >>> 0;
      index += 1;
      keyIndex += 1;
      if (index >= stateSize) {
        state[0] = state[stateSize - 1]!;
        index = 1;
      }
      if (keyIndex >= key.length) keyIndex = 0;
    }
    for (let count = stateSize - 1; count > 0; count -= 1) {
      const previous = state[index - 1]!;
      state[index] = ((state[index]! ^ Math.imul(previous ^ (previous >>> 30), 1566083941)) - index) >>> 0;
      index += 1;
      if (index >= stateSize) {
        state[0] = state[stateSize - 1]!;
        index = 1;
      }
    }
    state[0] = upperMask; // the most significant bit is 1: a non-zero initial state
    this.#index = stateSize;
  }

  #twist(): void {
    const state = this.#state;
    for (let index = 0; index < stateSize; index += 1) {
      const mixed = (state[index]! & upperMask) | (state[(index + 1) % stateSize]! & lowerMask);
      state[index] = state[(index + shift) % stateSize]! ^ (mixed >>> 1) ^ (mixed & 1 ? matrixA : 0);
    }
    this.#index = 0;
  }

  /** The next 32-bit output of MT19937 (CPython's `genrand_uint32`). */
  nextUint32(): number {
    if (this.#index >= stateSize) this.#twist();
    let value = this.#state[this.#index]!;
    this.#index += 1;
    value ^= value >>> 11;
    value ^= (value << 7) & 0x9d2c5680;
    value ^= (value << 15) & 0xefc60000;
    value ^= value >>> 18;
    return value >>> 0;
  }

  /** Python's `random()`: a float in [0, 1) from 53 random bits. */
  random(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Python's `getrandbits(bits)` for 0 ≤ bits ≤ 53 (so the result is an exact JS number). */
  getrandbits(bits: number): number {
    if (!Number.isInteger(bits) || bits < 0 || bits > 53)
      throw new InvalidConfigError('bits', `must be an integer from 0 to 53 (got ${bits})`);
    if (bits === 0) return 0;
    if (bits <= 32) return this.nextUint32() >>> (32 - bits);
    // Words from least to most significant; the last one keeps its high bits (CPython, little-endian).
    let value = 0;
    let scale = 1;
    for (let remaining = bits; remaining > 0; remaining -= 32) {
      let word = this.nextUint32();
      if (remaining < 32) word >>>= 32 - remaining;
      value += word * scale;
      scale *= twoTo32;
    }
    return value;
  }

  /** Python's `_randbelow(n)`: a uniform integer in [0, n), for 1 ≤ n ≤ 2^53. */
  randbelow(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 53)
      throw new InvalidConfigError('n', `must be an integer from 1 to 2^53 (got ${n})`);
    const bits = bitLength(n);
    let value = this.getrandbits(bits);
    while (value >= n) value = this.getrandbits(bits);
    return value;
  }

  /** Python's `shuffle(list)`: shuffles `items` in place and returns it. */
  shuffle<Item>(items: Item[]): Item[] {
    for (let index = items.length - 1; index > 0; index -= 1) {
      const other = this.randbelow(index + 1);
      const held = items[index]!;
      items[index] = items[other]!;
      items[other] = held;
    }
    return items;
  }
}
