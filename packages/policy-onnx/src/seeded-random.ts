/**
 * A small seeded random source, identical on every machine: xoshiro128** (Blackman & Vigna) over
 * 32-bit integer arithmetic, seeded through SplitMix32, and normals by the Box–Muller transform.
 * V8 computes Math.log/cos/sin with its fdlibm port, so the floats are reproducible too.
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
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is taken modulo 2^32. */
  constructor(seed: number) {
    let state = seed >>> 0;
    const next = () => {
      state = (state + 0x9e3779b9) >>> 0;
      return splitMix32(state);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Fills `output` with normal samples of mean 0 and standard deviation `std`, two per Box–Muller step. */
  fillNormal(output: Float32Array, std: number): Float32Array {
    const twoPi = 2 * Math.PI;
    for (let index = 0; index < output.length; index += 2) {
      const radius = std * Math.sqrt(-2 * Math.log((this.nextUint32() + 1) / 0x1_0000_0000)); // (0, 1]: no log(0)
      const angle = twoPi * (this.nextUint32() / 0x1_0000_0000);
      output[index] = radius * Math.cos(angle);
      if (index + 1 < output.length) output[index + 1] = radius * Math.sin(angle);
    }
    return output;
  }
}

function rotateLeft(value: number, count: number): number {
  return (value << count) | (value >>> (32 - count));
}
