import { SeededRandom } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { SeededRng } from './seeded-rng';

describe('SeededRng', () => {
  it("draws spec's fromSeed stream (the stream earlier runs and their checkpoints used)", () => {
    const rng = new SeededRng(42);
    // Pinned: the first draws of seed 42 before the generator moved to spec.
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([2837322924, 544945897, 479756282, 3500138142]);
    const first = new SeededRng(7);
    expect(first.state().words).toEqual(SeededRandom.fromSeed(7).state().words);
  });

  it('restores a checkpointed state as a SeededRng that continues exactly', () => {
    const original = new SeededRng(42);
    for (let index = 0; index < 17; index++) original.nextFloat();
    const saved = JSON.parse(JSON.stringify(original.state()));
    const expected = Array.from({ length: 20 }, () => original.nextUint32());
    const restored = SeededRng.fromState(saved);
    expect(restored).toBeInstanceOf(SeededRng);
    expect(Array.from({ length: 20 }, () => restored.nextUint32())).toEqual(expected);
    expect(() => new SeededRng(-1)).toThrow(/non-negative safe integer/);
  });
});
