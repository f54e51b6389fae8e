import type { PythonRandom } from '../python-random';
import { SyllableNames } from './syllable-names';
import { draftFacts } from './world-facts';
import { resolveWorldOptions, type GenerateWorldOptions, type WorldSettings } from './world-options';
import { writePassages } from './world-passages';
import { askQuestions } from './world-questions';
import { pick, stageRandom, worldStages } from './world-random';
import { entityTypes } from './world-relations';
import type { EntityType, World, WorldEntity } from './world-types';

/** Every word of every template (and the organisation suffixes): no name word may equal one of them. */
function templateWords(settings: WorldSettings): string[] {
  const texts = [
    ...Object.values(settings.introTemplates).flat(),
    ...Object.values(settings.sentenceTemplates).flat(),
    ...Object.values(settings.questionTemplates).flat(),
    ...settings.organisationSuffixes,
  ];
  return texts.flatMap((text) => text.match(/\p{L}+/gu) ?? []);
}

function nameEntities(settings: WorldSettings): Record<EntityType, WorldEntity[]> {
  const words = new SyllableNames(templateWords(settings));
  const make = (
    type: EntityType,
    count: number,
    stage: number,
    field: string,
    name: (random: PythonRandom) => string,
  ): WorldEntity[] => {
    const random = stageRandom(settings.seed, stage);
    return Array.from({ length: count }, (_, index) => ({
      id: `${type}-${index}`,
      type,
      name: name(random),
      passageIds: [],
    }));
  };
  return {
    person: make('person', settings.people, worldStages.personNames, 'people', (random) => {
      const given = words.next(random, 'people');
      return settings.personNameWords === 2 ? `${given} ${words.next(random, 'people')}` : given;
    }),
    place: make('place', settings.places, worldStages.placeNames, 'places', (random) => words.next(random, 'places')),
    organisation: make(
      'organisation',
      settings.organisations,
      worldStages.organisationNames,
      'organisations',
      (random) => {
        const word = words.next(random, 'organisations');
        return settings.organisationSuffixes.length === 0
          ? word
          : `${word} ${pick(random, settings.organisationSuffixes)}`;
      },
    ),
    country: make('country', settings.countries, worldStages.countryNames, 'countries', (random) =>
      words.next(random, 'countries'),
    ),
  };
}

/**
 * Generates a fictional world from a seed: people, places (cities), organisations (companies) and
 * countries with syllable names no model has seen, the facts that link them, one FlashRAG passage per
 * entity (`"Name"\nsentences`) stating the entity's own facts, and 1-, 2- and 3-hop questions whose
 * gold answer is an entity name, split into train and held-out sets.
 *
 * Each hop of a question is answerable from the passage titled with that hop's entity: "Where was
 * Velor Quenth born?" from the passage "Velor Quenth". `metadata` records the chain, the supporting
 * passages and the query a perfect searcher would issue at each hop (the entity's name).
 *
 * Deterministic: the same options give the same world (byte for byte as JSON) on every platform and
 * Node version. Each stage (names of each type, each relation's facts, passages, split, questions) has its
 * own `PythonRandom` (MT19937) seeded from `seed`, so changing the question options leaves the corpus as it
 * is. Invalid options are an `InvalidConfigError` naming the field.
 */
export function generateWorld(options: GenerateWorldOptions): World {
  const settings = resolveWorldOptions(options);
  const byType = nameEntities(settings);
  const entities = entityTypes.flatMap((type) => byType[type]);
  const drafts = draftFacts(settings, byType);
  const { passages, facts } = writePassages(settings, entities, drafts);
  const questions = askQuestions(settings, entities, facts);
  return { settings, entities, facts, passages, questions };
}
