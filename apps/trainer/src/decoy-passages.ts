import type { World } from '@research-ts/datasets';
import type { Passage } from '@research-ts/spec';
import type { SeededRng } from './seeded-rng';

/**
 * The world's passages with every entity name replaced by the name of another entity of the same type
 * (one random cyclic permutation per type, so no name maps to itself): the same sentences, titles,
 * names and lengths as the real corpus, but each passage now states the facts of some other entity.
 * A stated fact is true only by chance (the renamed object happens to be the real one).
 *
 * The format warm-up searches this corpus, so that it teaches the tags and copying names out of a
 * result without teaching a single fact of the world: the held-out entities' facts included.
 */
export function decoyPassages(world: World, rng: SeededRng): Passage[] {
  const rename = new Map<string, string>();
  for (const type of new Set(world.entities.map((entity) => entity.type))) {
    const names = world.entities.filter((entity) => entity.type === type).map((entity) => entity.name);
    shuffle(names, rng);
    names.forEach((name, index) => rename.set(name, names[(index + 1) % names.length]!));
  }
  if (rename.size === 0) return world.passages.map((passage) => ({ ...passage }));
  // One pass, longest names first, whole words only: a replaced name is never replaced again.
  const alternatives = [...rename.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  return world.passages.map((passage) => ({ ...passage, contents: passage.contents.replace(pattern, (name) => rename.get(name)!) }));
}

function shuffle<T>(items: T[], rng: SeededRng): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = rng.integer(index + 1);
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
