import { describe, expect, it } from 'vitest';
import { draftFacts, fillTemplate, type FactDraft } from './world-facts';
import { resolveWorldOptions, type GenerateWorldOptions } from './world-options';
import type { EntityType, RelationName, WorldEntity } from './world-types';

function entitiesOf(counts: Record<EntityType, number>): Record<EntityType, WorldEntity[]> {
  const make = (type: EntityType) =>
    Array.from({ length: counts[type] }, (_, index) => ({
      id: `${type}-${index}`,
      type,
      name: `${type[0]!.toUpperCase()}${type.slice(1)}${index}`,
      passageIds: [],
    }));
  return { person: make('person'), place: make('place'), organisation: make('organisation'), country: make('country') };
}

function drafts(options: GenerateWorldOptions): FactDraft[] {
  const settings = resolveWorldOptions(options);
  return draftFacts(
    settings,
    entitiesOf({
      person: settings.people,
      place: settings.places,
      organisation: settings.organisations,
      country: settings.countries,
    }),
  );
}

const of = (all: FactDraft[], relation: RelationName) => all.filter((draft) => draft.relation === relation);
const allRelations: RelationName[] = [
  'born_in',
  'works_for',
  'spouse',
  'founded_by',
  'headquartered_in',
  'located_in',
  'capital',
];

describe('fillTemplate', () => {
  it.each([
    [
      '{subject} works for {object}.',
      { subject: 'Velor Quenth', object: 'Molhe Group' },
      'Velor Quenth works for Molhe Group.',
    ],
    [
      'The capital of {subject} is {object}.',
      { subject: 'Bokgun', object: 'Rezex' },
      'The capital of Bokgun is Rezex.',
    ],
    ['{subject} costs $&.', { subject: '$1 and $&' }, '$1 and $& costs $&.'],
    ['{subject} and {other}', { subject: 'A' }, 'A and {other}'],
  ])('%j with %j', (template, values, expected) => {
    expect(fillTemplate(template, values)).toBe(expected);
  });
});

describe('draftFacts', () => {
  const all = drafts({
    seed: 2,
    people: 30,
    places: 9,
    organisations: 7,
    countries: 4,
    relations: allRelations,
    spouseFraction: 0.5,
  });

  it('gives every person one birthplace and one employer, every organisation a founder and a headquarters', () => {
    for (const relation of ['born_in', 'works_for'] as const)
      expect(of(all, relation).map((draft) => draft.subject.id)).toEqual(
        entitiesOf({ person: 30, place: 0, organisation: 0, country: 0 }).person.map((person) => person.id),
      );
    expect(of(all, 'born_in').every((draft) => draft.object.type === 'place')).toBe(true);
    expect(of(all, 'works_for').every((draft) => draft.object.type === 'organisation')).toBe(true);
    expect(of(all, 'founded_by')).toHaveLength(7);
    expect(of(all, 'headquartered_in').map((draft) => draft.object.type)).toEqual(Array(7).fill('place'));
  });

  it('with objectSpread balanced, deals objects out so their counts differ by at most one; uniform is unchanged', () => {
    const options = { seed: 2, people: 31, places: 9, organisations: 7, countries: 4 };
    const balanced = drafts({ ...options, objectSpread: 'balanced' });
    for (const [relation, objects] of [
      ['born_in', 9],
      ['works_for', 7],
      ['headquartered_in', 9],
    ] as const) {
      const counts = new Map<string, number>();
      for (const draft of of(balanced, relation)) counts.set(draft.object.id, (counts.get(draft.object.id) ?? 0) + 1);
      const values = [...counts.values()];
      expect(counts.size).toBe(Math.min(objects, of(balanced, relation).length));
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
    }
    // the default draws exactly as before the option existed
    expect(drafts(options)).toEqual(drafts({ ...options, objectSpread: 'uniform' }));
    expect(of(drafts(options), 'born_in').map((draft) => draft.object.id)).not.toEqual(
      of(balanced, 'born_in').map((draft) => draft.object.id),
    );
  });

  it('picks distinct founders while there are enough people, and repeats them otherwise', () => {
    expect(new Set(of(all, 'founded_by').map((draft) => draft.object.id)).size).toBe(7);
    const few = of(drafts({ seed: 2, people: 2, places: 1, organisations: 9, countries: 1 }), 'founded_by');
    expect(few).toHaveLength(9);
    expect(new Set(few.map((draft) => draft.object.id)).size).toBeLessThanOrEqual(2);
  });

  it('puts at least one place in every country, and the capital among its places', () => {
    const located = of(all, 'located_in');
    expect(located).toHaveLength(9);
    expect(new Set(located.map((draft) => draft.object.id)).size).toBe(4);
    const capitals = of(all, 'capital');
    expect(capitals.map((draft) => draft.subject.id)).toEqual(['country-0', 'country-1', 'country-2', 'country-3']);
    for (const capital of capitals) {
      expect(located.find((draft) => draft.subject === capital.object)!.object).toBe(capital.subject);
    }
  });

  it('marries round(people × fraction / 2) couples, each stated both ways', () => {
    // round(30 × 0.5 / 2) = round(7.5) = 8 couples, 16 facts.
    const married = of(all, 'spouse');
    expect(married).toHaveLength(16);
    for (const draft of married) {
      expect(draft.object).not.toBe(draft.subject);
      expect(married.filter((other) => other.subject === draft.object && other.object === draft.subject)).toHaveLength(
        1,
      );
    }
    expect(of(drafts({ seed: 2, people: 30, relations: ['spouse'], spouseFraction: 0 }), 'spouse')).toEqual([]);
    expect(of(drafts({ seed: 2, people: 5, relations: ['spouse'], spouseFraction: 1 }), 'spouse')).toHaveLength(4);
  });

  it('writes each fact with one of its relation templates', () => {
    const settings = resolveWorldOptions({ seed: 2, relations: allRelations });
    for (const draft of all) {
      const possible = settings.sentenceTemplates[draft.relation]!.map((template) =>
        fillTemplate(template, { subject: draft.subject.name, object: draft.object.name }),
      );
      expect(possible).toContain(draft.sentence);
    }
    const bornIn = new Set(
      of(all, 'born_in').map((draft) =>
        draft.sentence.replace(draft.subject.name, 'S').replace(draft.object.name, 'O'),
      ),
    );
    expect(bornIn).toEqual(new Set(['S was born in O.', 'S is a native of O.']));
  });

  it('lists facts relation by relation in catalog order', () => {
    const order = [...new Set(all.map((draft) => draft.relation))];
    expect(order).toEqual(allRelations);
  });
});
