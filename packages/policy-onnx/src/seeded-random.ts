/**
 * A small seeded random source, identical on every machine: xoshiro128** (Blackman & Vigna) over
 * 32-bit integer arithmetic, seeded through SplitMix32, and normals by Marsaglia's polar method.
 * V8 computes Math.log with its fdlibm port (and sqrt is exact), so the floats are reproducible too.
 */

/** SplitMix32 step: a well-mixed 32-bit value from a counter. */
function splitMix32(state: number): number {
  let z = (state + 0x9e3779b9) >>> 0;
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

export class SeededRandom {
  /** xoshiro128** state, four 32-bit words (a typed array: no number boxing in hot loops). */
  private readonly state = new Uint32Array(4);

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    let counter = seed >>> 0;
    for (let index = 0; index < 4; index++) {
      counter = (counter + 0x9e3779b9) >>> 0;
      this.state[index] = splitMix32(counter);
    }
    if ((this.state[0]! | this.state[1]! | this.state[2]! | this.state[3]!) === 0) this.state[0] = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const state = this.state;
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

  /**
   * Fills `output` with normal samples of mean 0 and standard deviation `std` by Marsaglia's polar
   * method: u, v uniform in [-1, 1) from two 32-bit draws, rejected unless 0 < s = u² + v² < 1, then
   * u·f and v·f with f = std·sqrt(-2 ln s / s). An odd length drops the last pair's second value.
   */
  fillNormal(output: Float32Array, std: number): Float32Array {
    const state = this.state;
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
