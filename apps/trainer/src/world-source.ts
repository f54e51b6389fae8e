import { generateWorld, type GenerateWorldOptions, type World } from '@research-ts/datasets';
import type { TrainerConfig } from './trainer-config';

/** The `data.world` section of a resolved config. */
export type WorldSource = NonNullable<TrainerConfig['data']['world']>;

/** The generator options of a config's world section (unset fields keep the generator's defaults). */
export function worldOptions(source: WorldSource): GenerateWorldOptions {
  const options: GenerateWorldOptions = {
    seed: source.seed,
    people: source.people,
    places: source.places,
    organisations: source.organisations,
    countries: source.countries,
    personNameWords: source.personNameWords,
    organisationSuffixes: source.organisationSuffixes,
    questionsPerHop: source.questionsPerHop,
    heldOutFraction: source.heldOutFraction,
    split: source.split,
  };
  if (source.relations !== undefined) options.relations = source.relations;
  if (source.spouseFraction !== undefined) options.spouseFraction = source.spouseFraction;
  if (source.objectSpread === 'balanced') options.objectSpread = 'balanced';
  if (source.questionTemplates !== undefined) options.questionTemplates = source.questionTemplates;
  if (source.sentenceTemplates !== undefined)
    options.sentenceTemplates = source.sentenceTemplates as GenerateWorldOptions['sentenceTemplates'];
  return options;
}

/** Generates the world a config describes. */
export function buildWorld(source: WorldSource): World {
  return generateWorld(worldOptions(source));
}
