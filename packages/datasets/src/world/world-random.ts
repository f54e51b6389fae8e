import { PythonRandom } from '../python-random';

/**
 * The stages of world generation, each drawing from its own generator so that changing one part of the
 * options (say, the question counts) leaves the others (the names, the facts, the passages) unchanged.
 */
export const worldStages = {
  personNames: 1,
  placeNames: 2,
  organisationNames: 3,
  countryNames: 4,
  facts: 5,
  passages: 6,
  split: 7,
  questions: 8,
} as const;

/**
 * The generator of one stage: CPython's MT19937 (`PythonRandom`) seeded with `seed · 256 + stage`. It uses
 * only 32-bit integer arithmetic, so the same seed gives the same world on every Node version and platform.
 * `stage` is below 256, so (seed, stage) pairs never share a generator.
 */
export function stageRandom(seed: number, stage: number): PythonRandom {
  return new PythonRandom(BigInt(seed) * 256n + BigInt(stage));
}

/** A uniform element of a non-empty list. */
export function pick<Item>(random: PythonRandom, items: readonly Item[]): Item {
  return items[random.randbelow(items.length)]!;
}
