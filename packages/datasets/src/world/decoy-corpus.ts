import type { Passage, SeededRandom } from '@research-ts/spec';
import type { RelationName, World } from './world-types';

/** A world's corpus with its names permuted, and the permutation. */
export interface DecoyCorpus {
  /** The world's passages, in order, each with every entity name renamed. */
  passages: Passage[];
  /** Real name → the name that replaces it. */
  rename: ReadonlyMap<string, string>;
}

/**
 * The world's passages with every entity name replaced by the name of another entity of the same type
 * (one random cyclic permutation per type, so no name maps to itself): the same sentences, titles,
 * names and lengths as the real corpus, but each passage now states the facts of some other entity.
 * A stated fact is true only by chance (the renamed object happens to be the real one).
 *
 * The format warm-up searches such a corpus, so that it teaches the tags and copying names out of a
 * result without teaching a single fact of the world, the held-out entities' included; and the final
 * evaluation runs against another one, to tell reading (answers follow the corpus) from recall.
 */
export function createDecoyCorpus(world: World, rng: SeededRandom): DecoyCorpus {
  const rename = new Map<string, string>();
  for (const type of new Set(world.entities.map((entity) => entity.type))) {
    const names = world.entities.filter((entity) => entity.type === type).map((entity) => entity.name);
    shuffle(names, rng);
    names.forEach((name, index) => rename.set(name, names[(index + 1) % names.length]!));
  }
  if (rename.size === 0) return { passages: world.passages.map((passage) => ({ ...passage })), rename };
  // One pass, longest names first, whole words only: a replaced name is never replaced again.
  const alternatives = [...rename.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  const passages = world.passages.map((passage) => ({
    ...passage,
    contents: passage.contents.replace(pattern, (name) => rename.get(name)!),
  }));
  return { passages, rename };
}

/**
 * The answers a decoy corpus gives: `answerOf(subject, relations)` follows the relations from the subject,
 * each hop reading the decoy passage titled with the current name, which states the renamed facts of the
 * entity whose name was renamed to it. Undefined when a hop has no fact. The lookups are built once.
 */
export function decoyAnswers(
  world: World,
  corpus: DecoyCorpus,
): (subject: string, relations: readonly RelationName[]) => string | undefined {
  const nameOf = new Map(world.entities.map((entity) => [entity.id, entity.name]));
  const objectOf = new Map(
    world.facts.map((fact) => [`${nameOf.get(fact.subjectId)}/${fact.relation}`, nameOf.get(fact.objectId)!]),
  );
  const original = new Map([...corpus.rename].map(([from, to]) => [to, from]));
  return (subject, relations) => {
    let name: string | undefined = subject;
    for (const relation of relations) {
      const object: string | undefined = objectOf.get(`${original.get(name) ?? name}/${relation}`);
      name = object === undefined ? undefined : (corpus.rename.get(object) ?? object);
      if (name === undefined) return undefined;
    }
    return name;
  };
}

function shuffle<T>(items: T[], rng: SeededRandom): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = rng.integer(index + 1);
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
