import { describe, expect, it } from 'vitest';
import { deriveSeed, SeededRandom } from './seeded-random';

// Expected values printed by tools/seeded-random-reference.py, an independent Python implementation.
describe('SeededRandom', () => {
  it('produces the xoshiro128** stream of the Python reference', () => {
    const random = new SeededRandom(42);
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([4236433703, 2069857770, 2066133620, 573724687, 2046020026, 2897421387]);
  });

  it('derives per-name seeds like the reference, using seeds above 2^32 in full', () => {
    expect(deriveSeed(7, 'model.embed_tokens.weight')).toBe(2771641589);
    expect(deriveSeed(2 ** 40 + 3, 'lm_head.weight')).toBe(1687396685);
    expect(deriveSeed(3, 'lm_head.weight')).not.toBe(deriveSeed(2 ** 40 + 3, 'lm_head.weight'));
  });

  it('draws polar-method normals equal to the reference (to float32 rounding)', () => {
    const values = new SeededRandom(deriveSeed(7, 'model.embed_tokens.weight')).fillNormal(new Float32Array(6), 0.02);
    const reference = [0.00169841381, 0.025374158, 0.00515603836, -0.019768679, -0.0145903674, -0.00735767783];
    for (const [index, value] of reference.entries()) expect(Math.abs(values[index]! - value)).toBeLessThan(1e-9);
  });

  it('has the moments of N(0, std²) and fills odd lengths', () => {
    const values = new SeededRandom(1).fillNormal(new Float32Array(200_001), 0.5);
    let sum = 0;
    let squares = 0;
    for (const value of values) {
      sum += value;
      squares += value * value;
    }
    const mean = sum / values.length;
    const std = Math.sqrt(squares / values.length - mean * mean);
    // Standard errors: 0.5/sqrt(n) ≈ 0.0011 for the mean, ≈ 0.0008 for the std.
    expect(Math.abs(mean)).toBeLessThan(0.006);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.004);
    expect(values[200_000]).not.toBe(0);
    const uniform = new SeededRandom(2);
    for (let index = 0; index < 1000; index++) {
      const value = uniform.nextFloat();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });
});
