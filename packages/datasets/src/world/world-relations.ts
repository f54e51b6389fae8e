import type { EntityType, RelationName } from './world-types';

/** The subject and object types of each relation, and the sentences that state it by default. */
export interface RelationDefinition {
  subject: EntityType;
  object: EntityType;
  /** Default sentence templates: `{subject}` and `{object}` each appear once. */
  sentences: readonly string[];
}

/** Every relation a world can state, in the order facts are generated and stated in a passage. */
export const relationCatalog: Readonly<Record<RelationName, RelationDefinition>> = {
  born_in: {
    subject: 'person',
    object: 'place',
    sentences: ['{subject} was born in {object}.', '{subject} is a native of {object}.'],
  },
  works_for: {
    subject: 'person',
    object: 'organisation',
    sentences: ['{subject} works for {object}.', '{subject} is employed by {object}.'],
  },
  spouse: { subject: 'person', object: 'person', sentences: ['{subject} is married to {object}.'] },
  founded_by: { subject: 'organisation', object: 'person', sentences: ['{subject} was founded by {object}.'] },
  headquartered_in: {
    subject: 'organisation',
    object: 'place',
    sentences: ['{subject} has its headquarters in {object}.', '{subject} is based in {object}.'],
  },
  located_in: {
    subject: 'place',
    object: 'country',
    sentences: ['{subject} lies in {object}.', '{subject} is in {object}.'],
  },
  capital: { subject: 'country', object: 'place', sentences: ['The capital of {subject} is {object}.'] },
};

/** Relation names in catalog order. */
export const relationNames = Object.keys(relationCatalog) as RelationName[];

/** Entity types in the order entities are generated and listed. */
export const entityTypes: readonly EntityType[] = ['person', 'place', 'organisation', 'country'];

/** The relations a world states unless told otherwise: five, so a tiny vocabulary suffices. */
export const defaultRelations: readonly RelationName[] = [
  'born_in',
  'works_for',
  'founded_by',
  'headquartered_in',
  'located_in',
];

/** The first sentence of every passage, saying what the entity is. */
export const defaultIntroTemplates: Readonly<Record<EntityType, readonly string[]>> = {
  person: ['{subject} is a person.'],
  place: ['{subject} is a city.'],
  organisation: ['{subject} is a company.'],
  country: ['{subject} is a country.'],
};

/**
 * Question templates per relation chain (relations joined by `>`, followed from the subject), `{subject}`
 * being the name of the entity the question is about. A chain whose relations are not all enabled is unused.
 */
export const defaultQuestionTemplates: Readonly<Record<string, readonly string[]>> = {
  born_in: ['Where was {subject} born?', 'In which city was {subject} born?'],
  works_for: ['Which company does {subject} work for?', 'Who employs {subject}?'],
  spouse: ['Who is {subject} married to?'],
  founded_by: ['Who founded {subject}?'],
  headquartered_in: ['Where is {subject} based?', 'In which city is the headquarters of {subject}?'],
  located_in: ['In which country is {subject}?'],
  capital: ['What is the capital of {subject}?'],
  'born_in>located_in': ['In which country was {subject} born?'],
  'works_for>headquartered_in': [
    'In which city is the headquarters of the company {subject} works for?',
    'Where is the company that {subject} works for based?',
  ],
  'works_for>founded_by': ['Who founded the company {subject} works for?'],
  'founded_by>born_in': ['Where was the founder of {subject} born?'],
  'founded_by>works_for': ['Which company does the founder of {subject} work for?'],
  'headquartered_in>located_in': ['In which country is {subject} based?'],
  'spouse>born_in': ['Where was the spouse of {subject} born?'],
  'spouse>works_for': ['Which company does the spouse of {subject} work for?'],
  'located_in>capital': ['What is the capital of the country {subject} is in?'],
  'works_for>headquartered_in>located_in': ['In which country is the headquarters of the company {subject} works for?'],
  'works_for>founded_by>born_in': ['Where was the founder of the company {subject} works for born?'],
  'founded_by>born_in>located_in': ['In which country was the founder of {subject} born?'],
  'founded_by>works_for>headquartered_in': ['Where is the company that the founder of {subject} works for based?'],
  'spouse>born_in>located_in': ['In which country was the spouse of {subject} born?'],
  'spouse>works_for>headquartered_in': ['Where is the company that the spouse of {subject} works for based?'],
  'born_in>located_in>capital': ['What is the capital of the country {subject} was born in?'],
  'headquartered_in>located_in>capital': ['What is the capital of the country {subject} is based in?'],
};
