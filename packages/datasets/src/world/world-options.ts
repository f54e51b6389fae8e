import { InvalidConfigError, invalidConfigOf } from '@research-ts/spec';
import { z } from 'zod';
import {
  defaultIntroTemplates,
  defaultQuestionTemplates,
  defaultRelations,
  entityTypes,
  relationCatalog,
  relationNames,
} from './world-relations';
import type { EntityType, RelationName } from './world-types';

const count = (fallback: number, why: string) => z.number().int().min(0).default(fallback).describe(why);
const templateList = z.array(z.string()).min(1, { message: 'must list at least one template' });

const worldOptionsSchema = z.object({
  seed: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .describe(
      'Everything is drawn from CPython-exact MT19937 generators seeded from this, so a seed names one world on every platform.',
    ),
  people: count(200, 'How many people. Most questions start from a person.'),
  places: count(40, 'How many places (cities): birthplaces and headquarters.'),
  organisations: count(40, 'How many organisations (companies): employers, with a founder and a headquarters.'),
  countries: count(
    8,
    'How many countries; every place lies in one, and every country holds at least one place when places allow.',
  ),
  relations: z
    .array(z.enum(relationNames as [RelationName, ...RelationName[]]))
    .min(1, { message: 'must list at least one relation' })
    .default([...defaultRelations])
    .describe('The relations stated (each in its subject’s passage). Fewer relations, fewer template words.'),
  spouseFraction: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('With `spouse`: the share of people who are married (in pairs), so some people have no spouse fact.'),
  objectSpread: z
    .enum(['uniform', 'balanced'])
    .default('uniform')
    .describe(
      'How `born_in`, `works_for` and `headquartered_in` pick their objects: `uniform`, each subject independently (some ' +
        'cities end up far more often than others); `balanced`, dealt out in shuffled rounds, so object counts differ by ' +
        'at most one and no answer is much more frequent than another (a constant guess earns little).',
    ),
  passagesPerEntity: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Up to this many passages per entity, all titled with its name; its facts are dealt out among them.'),
  personNameWords: z
    .union([z.literal(1), z.literal(2)])
    .default(2)
    .describe('1: people are named by one word (`Velor`); 2: a given name and a family name (`Velor Quenth`).'),
  organisationSuffixes: z
    .array(z.string().regex(/^\p{L}+$/u, { message: 'must be one word of letters' }))
    .default(['Group', 'Guild', 'Foundry'])
    .describe(
      'An organisation is named by a syllable word and one of these (`Tessik Guild`); [] names it by the word alone.',
    ),
  introTemplates: z
    .partialRecord(z.enum(entityTypes as [EntityType, ...EntityType[]]), templateList)
    .default({})
    .describe(
      'Per entity type, the first sentence of its passages (`{subject} is a city.`); a list replaces the default.',
    ),
  sentenceTemplates: z
    .partialRecord(z.enum(relationNames as [RelationName, ...RelationName[]]), templateList)
    .default({})
    .describe(
      'Per relation, the sentences that state a fact, with `{subject}` and `{object}`; a list replaces the default.',
    ),
  questionTemplates: z
    .record(z.string(), templateList)
    .optional()
    .describe(
      'Question templates per relation chain (`works_for>headquartered_in`), with `{subject}`. Replaces the defaults ' +
        '(`defaultQuestionTemplates`) as a whole; chains using a relation that is not enabled are dropped.',
    ),
  questionsPerHop: z
    .object({
      1: count(200, 'Questions answered by one fact.'),
      2: count(200, 'Questions answered by a chain of two facts.'),
      3: count(200, 'Questions answered by a chain of three facts.'),
    })
    .prefault({})
    .describe('Questions per hop count, train and held-out together.'),
  heldOutFraction: z
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe('The share of each hop count’s questions that are held out: round(count × fraction).'),
  split: z
    .enum(['entity', 'question'])
    .default('entity')
    .describe(
      '`entity`: a held-out question is about an entity no train question is about. `question`: questions are drawn ' +
        'together and dealt out, so only the question texts differ.',
    ),
});

/** Options of `generateWorld`; only `seed` is required. */
export type GenerateWorldOptions = z.input<typeof worldOptionsSchema>;

/** The resolved options of a world: every default filled in, templates complete. A valid `GenerateWorldOptions`. */
export interface WorldSettings {
  seed: number;
  people: number;
  places: number;
  organisations: number;
  countries: number;
  /** Enabled relations, without repeats, in catalog order. */
  relations: RelationName[];
  spouseFraction: number;
  /** Absent for `uniform` (the default), so that a world's JSON is the same as before the option existed. */
  objectSpread?: 'balanced';
  passagesPerEntity: number;
  personNameWords: 1 | 2;
  organisationSuffixes: string[];
  introTemplates: Record<EntityType, string[]>;
  /** Only the enabled relations. */
  sentenceTemplates: Partial<Record<RelationName, string[]>>;
  /** Only the usable chains, ordered by hop count and then by key. */
  questionTemplates: Record<string, string[]>;
  questionsPerHop: { 1: number; 2: number; 3: number };
  heldOutFraction: number;
  split: 'entity' | 'question';
}

/** The relations of a chain key (`works_for>headquartered_in`), checked to exist and to link up by type. */
export function parseRelationChain(key: string, path: string): RelationName[] {
  const parts = key.split('>');
  if (parts.length > 3) throw new InvalidConfigError(path, `a chain has at most 3 relations (got ${parts.length})`);
  const chain: RelationName[] = [];
  for (const part of parts) {
    if (!(relationNames as string[]).includes(part)) {
      throw new InvalidConfigError(
        path,
        `unknown relation ${JSON.stringify(part)} (relations: ${relationNames.join(', ')})`,
      );
    }
    const relation = part as RelationName;
    const previous = chain.at(-1);
    if (previous !== undefined && relationCatalog[previous].object !== relationCatalog[relation].subject) {
      throw new InvalidConfigError(
        path,
        `${previous} ends at a ${relationCatalog[previous].object} but ${relation} starts from a ${relationCatalog[relation].subject}`,
      );
    }
    chain.push(relation);
  }
  return chain;
}

/** Checks that a template holds each of `placeholders` exactly once and no other `{…}`. */
function checkTemplate(template: string, placeholders: readonly string[], path: string): void {
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    if (!placeholders.includes(match[1]!)) {
      throw new InvalidConfigError(
        path,
        `unknown placeholder {${match[1]}} in ${JSON.stringify(template)} (use ${placeholders.map((name) => `{${name}}`).join(' and ')})`,
      );
    }
  }
  for (const name of placeholders) {
    const times = template.split(`{${name}}`).length - 1;
    if (times !== 1)
      throw new InvalidConfigError(
        path,
        `${JSON.stringify(template)} must contain {${name}} exactly once (found ${times})`,
      );
  }
}

const minimumEntities = {
  person: 'people',
  place: 'places',
  organisation: 'organisations',
  country: 'countries',
} as const;

/** Validates options (an `InvalidConfigError` naming the field) and fills in every default. */
export function resolveWorldOptions(options: GenerateWorldOptions): WorldSettings {
  const parsed = worldOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw invalidConfigOf(parsed.error.issues);
  }
  const input = parsed.data;
  const relations = relationNames.filter((relation) => input.relations.includes(relation));

  const counts: Record<EntityType, number> = {
    person: input.people,
    place: input.places,
    organisation: input.organisations,
    country: input.countries,
  };
  for (const relation of relations) {
    const { subject, object } = relationCatalog[relation];
    for (const type of [subject, object]) {
      if (counts[type] === 0)
        throw new InvalidConfigError(
          'relations',
          `${relation} needs at least one ${type}, but ${minimumEntities[type]} is 0`,
        );
    }
  }
  if (relations.includes('capital') && !relations.includes('located_in')) {
    throw new InvalidConfigError(
      'relations',
      'capital needs located_in (a capital is one of the places located in its country)',
    );
  }

  const introTemplates = {} as Record<EntityType, string[]>;
  for (const type of entityTypes) {
    introTemplates[type] = [...(input.introTemplates[type] ?? defaultIntroTemplates[type])];
    introTemplates[type].forEach((template, index) =>
      checkTemplate(template, ['subject'], `introTemplates.${type}.${index}`),
    );
  }
  const sentenceTemplates: Partial<Record<RelationName, string[]>> = {};
  for (const relation of relations) {
    const templates = [...(input.sentenceTemplates[relation] ?? relationCatalog[relation].sentences)];
    templates.forEach((template, index) =>
      checkTemplate(template, ['subject', 'object'], `sentenceTemplates.${relation}.${index}`),
    );
    sentenceTemplates[relation] = templates;
  }

  const usableChains: { key: string; hops: number; templates: string[] }[] = [];
  for (const [key, templates] of Object.entries(input.questionTemplates ?? defaultQuestionTemplates)) {
    const chain = parseRelationChain(key, `questionTemplates.${key}`);
    templates.forEach((template, index) => checkTemplate(template, ['subject'], `questionTemplates.${key}.${index}`));
    if (chain.every((relation) => relations.includes(relation)))
      usableChains.push({ key, hops: chain.length, templates: [...templates] });
  }
  usableChains.sort(
    (left, right) => left.hops - right.hops || (left.key < right.key ? -1 : left.key > right.key ? 1 : 0),
  );

  return {
    seed: input.seed,
    people: input.people,
    places: input.places,
    organisations: input.organisations,
    countries: input.countries,
    relations,
    spouseFraction: input.spouseFraction,
    ...(input.objectSpread === 'balanced' ? { objectSpread: 'balanced' as const } : {}),
    passagesPerEntity: input.passagesPerEntity,
    personNameWords: input.personNameWords,
    organisationSuffixes: [...input.organisationSuffixes],
    introTemplates,
    sentenceTemplates,
    questionTemplates: Object.fromEntries(usableChains.map((chain) => [chain.key, chain.templates])),
    questionsPerHop: { ...input.questionsPerHop },
    heldOutFraction: input.heldOutFraction,
    split: input.split,
  };
}
