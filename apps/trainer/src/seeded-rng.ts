import { SeededRandom, type RandomState } from '@research-ts/spec';

/** The run's RNG state as checkpoints store it: spec's {@link RandomState} (four uint32 words). */
export type RngState = RandomState;

/**
 * The run's random source: spec's {@link SeededRandom} (xoshiro128**), seeded as by
 * `SeededRandom.fromSeed` from a number and restored by `SeededRng.fromState` from a checkpoint.
 */
export class SeededRng extends SeededRandom {
  constructor(seed: number | RngState) {
    super(typeof seed === 'number' ? SeededRandom.fromSeed(seed).state() : seed);
  }
}
