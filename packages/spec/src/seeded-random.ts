import { InvalidInputError } from './research-error';

/**
 * One seeded random source for all of research-ts, identical on every machine: xoshiro128** (Blackman &
 * Vigna) over 32-bit integer arithmetic, seeded through SplitMix32, normals by Marsaglia's polar method.
 * V8 computes Math.log with its fdlibm port (and sqrt is exact), so the floats are reproducible too.
 * The whole state is four uint32 words ({@link RandomState}), so a checkpoint saves it exactly and a
 * resumed run draws the same numbers as an uninterrupted one.
 */

/** The whole state of a {@link SeededRandom}: four 32-bit words, plain JSON. */
export interface RandomState {
  words: [number, number, number, number];
}

const golden = 0x9e3779b9;

/** SplitMix32 step: a well-mixed 32-bit value from a counter (the counter is advanced by the golden ratio first). */
export function splitMix32(state: number): number {
  let z = (state + golden) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A 32-bit seed derived from a numeric seed and a name (FNV-1a over the name's UTF-8, mixed with the seed). */
export function deriveSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return splitMix32((hash ^ splitMix32(low ^ splitMix32(high))) >>> 0);
}

/** Four consecutive SplitMix32 outputs from `counter`; never all zero. */
function splitMixWords(counter: number): RandomState {
  const words: RandomState['words'] = [0, 0, 0, 0];
  for (let index = 0; index < 4; index++) {
    words[index] = splitMix32(counter);
    counter = (counter + golden) >>> 0;
  }
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
  return { words };
}

function checkState(state: RandomState): RandomState['words'] {
  const words = state?.words;
  if (
    !Array.isArray(words) ||
    words.length !== 4 ||
    words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffffffff)
  ) {
    throw new InvalidInputError('must be four uint32 words', { field: 'rng.words' });
  }
  if (words.every((word) => word === 0)) throw new InvalidInputError('must not be all zero', { field: 'rng.words' });
  return words;
}

export class SeededRandom {
  /** xoshiro128** state, four 32-bit words (a typed array: no number boxing in hot loops). */
  private readonly words = new Uint32Array(4);

  /**
   * A number seeds the words with SplitMix32 from the counter `seed + 0x9e3779b9` (mod 2^32; the seeding of
   * policy-onnx's weights and sampling, pinned by `packages/policy-onnx/tools/seeded-random-reference.py`);
   * a {@link RandomState} restores that state (`InvalidInputError` unless four uint32 words, not all zero).
   */
  constructor(seed: number | RandomState) {
    const words = typeof seed === 'number' ? splitMixWords(((seed >>> 0) + golden) >>> 0).words : checkState(seed);
    this.words.set(words);
  }

  /**
   * A generator seeded from a non-negative safe integer, its high bits folded in, with SplitMix32 from the
   * counter `seed`: the trainer's run stream (`InvalidInputError` for any other seed).
   */
  static fromSeed<T extends SeededRandom>(this: new (seed: RandomState) => T, seed: number): T {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new InvalidInputError(`must be a non-negative safe integer, got ${seed}`, { field: 'seed' });
    return new this(splitMixWords(((seed >>> 0) ^ Math.floor(seed / 2 ** 32)) >>> 0));
  }

  /** A generator restored from {@link SeededRandom.state}. */
  static fromState<T extends SeededRandom>(this: new (seed: RandomState) => T, state: RandomState): T {
    return new this(state);
  }

  /** A copy of the state. */
  state(): RandomState {
    const words = this.words;
    return { words: [words[0]!, words[1]!, words[2]!, words[3]!] };
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const state = this.words;
    const s0 = state[0]!;
    const s1 = state[1]!;
    const s2 = state[2]! ^ s0;
    const s3 = state[3]! ^ s1;
    state[0] = s0 ^ s3;
    state[1] = s1 ^ s2;
    state[2] = s2 ^ (s1 << 9);
    state[3] = rotateLeft(s3, 11);
    return Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** An integer in [0, count), without modulo bias. */
  integer(count: number): number {
    if (!Number.isInteger(count) || count < 1 || count > 2 ** 32)
      throw new InvalidInputError(`must be an integer in [1, 2^32], got ${count}`, { field: 'count' });
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

  /**
   * Fills `output` with normal samples of mean 0 and standard deviation `std` by Marsaglia's polar
   * method: u, v uniform in [-1, 1) from two 32-bit draws, rejected unless 0 < s = u² + v² < 1, then
   * u·f and v·f with f = std·sqrt(-2 ln s / s). An odd length drops the last pair's second value.
   */
  fillNormal(output: Float32Array, std: number): Float32Array {
    const state = this.words;
    let s0 = state[0]!;
    let s1 = state[1]!;
    let s2 = state[2]!;
    let s3 = state[3]!;
    const length = output.length;
    let index = 0;
    while (index < length) {
      // Two xoshiro128** steps, inlined on local words.
      const first = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
      let shifted = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= shifted;
      s3 = rotateLeft(s3, 11);
      const second = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
      shifted = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= shifted;
      s3 = rotateLeft(s3, 11);
      const u = first / 0x8000_0000 - 1;
      const v = second / 0x8000_0000 - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const factor = std * Math.sqrt((-2 * Math.log(s)) / s);
      output[index] = u * factor;
      if (index + 1 < length) output[index + 1] = v * factor;
      index += 2;
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
    return output;
  }
}

function rotateLeft(value: number, count: number): number {
  return (value << count) | (value >>> (32 - count));
}
