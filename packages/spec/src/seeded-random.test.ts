import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './research-error';
import { deriveSeed, SeededRandom } from './seeded-random';

// Expected values printed by packages/policy-onnx/tools/seeded-random-reference.py and an independent
// Python port of xoshiro128**.
describe('SeededRandom', () => {
  it('produces the xoshiro128** stream of the Python reference', () => {
    const random = new SeededRandom(42);
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([
      4236433703, 2069857770, 2066133620, 573724687, 2046020026, 2897421387,
    ]);
  });

  it('is xoshiro128**: the first outputs from state [1, 2, 3, 4] match an independent Python port', () => {
    const random = SeededRandom.fromState({ words: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
    expect(random.state().words).toEqual([1110993931, 286554632, 2431677446, 2165318166]);
  });

  it('seeds fromSeed with the SplitMix32 outputs from the counter `seed`, and the constructor one output later', () => {
    const constructed = new SeededRandom(41);
    const fromSeed = SeededRandom.fromSeed((41 + 0x9e3779b9) >>> 0);
    expect(Array.from({ length: 8 }, () => constructed.nextUint32())).toEqual(
      Array.from({ length: 8 }, () => fromSeed.nextUint32()),
    );
    // High bits of a 53-bit seed are folded in, not dropped.
    expect(SeededRandom.fromSeed(2 ** 32 + 5).state()).not.toEqual(SeededRandom.fromSeed(5).state());
  });

  it("draws the trainer's run stream of seed 42 (pinned: the stream of earlier runs and their checkpoints)", () => {
    const rng = SeededRandom.fromSeed(42);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([2837322924, 544945897, 479756282, 3500138142]);
  });

  it('continues exactly from a saved state (what a resumed run relies on)', () => {
    const original = SeededRandom.fromSeed(42);
    for (let index = 0; index < 17; index++) original.nextFloat();
    const saved = JSON.parse(JSON.stringify(original.state()));
    const expected = Array.from({ length: 20 }, () => original.nextUint32());
    const restored = SeededRandom.fromState(saved);
    expect(Array.from({ length: 20 }, () => restored.nextUint32())).toEqual(expected);
  });

  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    const draw = (seed: number) => {
      const random = SeededRandom.fromSeed(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(0).some((value) => value !== 0)).toBe(true);
  });

  it('draws integers in range with every value reachable, and floats in [0, 1)', () => {
    const random = SeededRandom.fromSeed(3);
    const counts = new Array<number>(5).fill(0);
    for (let index = 0; index < 5000; index++) counts[random.integer(5)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    for (let index = 0; index < 1000; index++) {
      const value = random.nextFloat();
      expect(value >= 0 && value < 1).toBe(true);
    }
    expect(random.integer(1)).toBe(0);
  });

  it('rejects bad seeds, states and ranges', () => {
    expect(() => SeededRandom.fromSeed(-1)).toThrow(InvalidInputError);
    expect(() => SeededRandom.fromSeed(1.5)).toThrow(/non-negative safe integer/);
    expect(() => SeededRandom.fromState({ words: [0, 0, 0, 0] })).toThrow(/all zero/);
    expect(() => SeededRandom.fromState({ words: [1, 2, 3] as unknown as [number, number, number, number] })).toThrow(
      /four uint32/,
    );
    expect(() => new SeededRandom(1).integer(0)).toThrow(/\[1, 2\^32\]/);
    expect(() => new SeededRandom(1).pick([])).toThrow(/empty list/);
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
  });
});
