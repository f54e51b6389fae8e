import type { Passage } from '@research-ts/spec';
import type { QaExample } from '../qa-example';
import type { WorldSettings } from './world-options';

/** The kinds of thing a world holds. Places are cities; organisations are companies. */
export type EntityType = 'person' | 'place' | 'organisation' | 'country';

/**
 * The relations a world can state, each functional (a subject has at most one object):
 *
 * | relation | subject → object |
 * |---|---|
 * | `born_in` | person → place |
 * | `works_for` | person → organisation |
 * | `spouse` | person → person (symmetric: stated in both passages) |
 * | `founded_by` | organisation → person |
 * | `headquartered_in` | organisation → place |
 * | `located_in` | place → country |
 * | `capital` | country → place (one of the places located in it) |
 */
export type RelationName =
  'born_in' | 'works_for' | 'spouse' | 'founded_by' | 'headquartered_in' | 'located_in' | 'capital';

/** One person, place, organisation or country. */
export interface WorldEntity {
  /** `${type}-${index}`: `person-0`, `place-12`, `organisation-3`, `country-1`. */
  id: string;
  type: EntityType;
  /** Unique in the world, 1–2 words made of syllables; no name is contained in another. */
  name: string;
  /** The passages titled with this entity's name (one unless `passagesPerEntity` > 1), in order. */
  passageIds: string[];
}

/** One stated fact `subject —relation→ object`, written as one sentence in a passage of the subject. */
export interface WorldFact {
  /** `${subjectId}/${relation}`: a subject has at most one fact per relation. */
  id: string;
  relation: RelationName;
  subjectId: string;
  objectId: string;
  /** The sentence that states it (both names appear in it), as it appears in the passage. */
  sentence: string;
  /** The passage (titled with the subject's name) whose text holds the sentence. */
  passageId: string;
}

/** What a generated question carries besides its text and answer; `writeWorld` writes these fields as they are. */
export interface WorldQuestionMetadata {
  /** How many facts lead from the subject to the answer (1, 2 or 3). */
  hops: number;
  /** The relations followed, in order (length `hops`). */
  relations: RelationName[];
  /** The entities of the chain: the subject named in the question, each intermediate, then the answer (length `hops + 1`). */
  entityIds: string[];
  /** The facts used, in order (length `hops`); fact `i` links `entityIds[i]` to `entityIds[i + 1]`. */
  factIds: string[];
  /** The passage holding each fact (length `hops`); passage `i` is titled with the name of `entityIds[i]`. */
  supportingPassageIds: string[];
  /** What a perfect searcher asks at each hop: the name of `entityIds[i]` (length `hops`). */
  searchQueries: string[];
  /** The question template, with `{subject}` where the subject's name goes. */
  template: string;
}

/** A generated question: a `QaExample` whose only golden answer is the answer entity's name. */
export interface WorldQuestion extends QaExample {
  metadata: WorldQuestionMetadata & Record<string, unknown>;
}

/** A generated world: its entities, facts, FlashRAG passages and questions. Plain JSON. */
export interface World {
  /** The resolved options it was generated from (defaults filled in); `generateWorld(settings)` gives the same world. */
  settings: WorldSettings;
  /** People, then places, organisations and countries, each in index order. */
  entities: WorldEntity[];
  /** Grouped by relation, in the order of `settings.relations`, then by subject. */
  facts: WorldFact[];
  /** FlashRAG `{ id, contents: "\"Title\"\ntext" }`, entity by entity in the order of `entities`. */
  passages: Passage[];
  /** Train and held-out questions; no question text is in both. */
  questions: { train: WorldQuestion[]; heldOut: WorldQuestion[] };
}
