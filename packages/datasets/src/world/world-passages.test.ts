import { describe, expect, it } from 'vitest';
import type { FactDraft } from './world-facts';
import { resolveWorldOptions } from './world-options';
import { writePassages } from './world-passages';
import type { RelationName, WorldEntity } from './world-types';

const person: WorldEntity = { id: 'person-0', type: 'person', name: 'Velor Quenth', passageIds: [] };
const spouse: WorldEntity = { id: 'person-1', type: 'person', name: 'Dogek Sai', passageIds: [] };
const place: WorldEntity = { id: 'place-0', type: 'place', name: 'Rezex', passageIds: [] };
const company: WorldEntity = { id: 'organisation-0', type: 'organisation', name: 'Molhe Group', passageIds: [] };

function draft(relation: RelationName, subject: WorldEntity, object: WorldEntity, sentence: string): FactDraft {
  return { relation, subject, object, sentence };
}

const drafts = [
  draft('born_in', person, place, 'Velor Quenth was born in Rezex.'),
  draft('works_for', person, company, 'Velor Quenth works for Molhe Group.'),
  draft('spouse', person, spouse, 'Velor Quenth is married to Dogek Sai.'),
  draft('spouse', spouse, person, 'Dogek Sai is married to Velor Quenth.'),
];

function passagesWith(passagesPerEntity: number) {
  const settings = resolveWorldOptions({ seed: 0, passagesPerEntity, relations: ['born_in', 'works_for', 'spouse'] });
  const entities = [person, spouse, place, company].map((entity) => ({ ...entity }));
  const byId = new Map(entities.map((entity) => [entity.id, entity]));
  const own = drafts.map((item) => ({
    ...item,
    subject: byId.get(item.subject.id)!,
    object: byId.get(item.object.id)!,
  }));
  return { entities, ...writePassages(settings, entities, own) };
}

describe('writePassages', () => {
  it('writes one passage per entity: the intro, then its facts in order', () => {
    const { entities, passages, facts } = passagesWith(1);
    expect(passages).toEqual([
      {
        id: 'person-0:0',
        contents:
          '"Velor Quenth"\nVelor Quenth is a person. Velor Quenth was born in Rezex. Velor Quenth works for Molhe Group. Velor Quenth is married to Dogek Sai.',
      },
      { id: 'person-1:0', contents: '"Dogek Sai"\nDogek Sai is a person. Dogek Sai is married to Velor Quenth.' },
      { id: 'place-0:0', contents: '"Rezex"\nRezex is a city.' },
      { id: 'organisation-0:0', contents: '"Molhe Group"\nMolhe Group is a company.' },
    ]);
    expect(entities.map((entity) => entity.passageIds)).toEqual([
      ['person-0:0'],
      ['person-1:0'],
      ['place-0:0'],
      ['organisation-0:0'],
    ]);
    expect(facts.map((fact) => [fact.id, fact.subjectId, fact.objectId, fact.passageId])).toEqual([
      ['person-0/born_in', 'person-0', 'place-0', 'person-0:0'],
      ['person-0/works_for', 'person-0', 'organisation-0', 'person-0:0'],
      ['person-0/spouse', 'person-0', 'person-1', 'person-0:0'],
      ['person-1/spouse', 'person-1', 'person-0', 'person-1:0'],
    ]);
  });

  it('deals the facts out over up to passagesPerEntity passages, each opening with the intro', () => {
    const { passages, facts } = passagesWith(2);
    // Three facts over two passages: facts 0 and 2 in the first, fact 1 in the second. One fact: one passage.
    expect(passages.slice(0, 3)).toEqual([
      {
        id: 'person-0:0',
        contents:
          '"Velor Quenth"\nVelor Quenth is a person. Velor Quenth was born in Rezex. Velor Quenth is married to Dogek Sai.',
      },
      { id: 'person-0:1', contents: '"Velor Quenth"\nVelor Quenth is a person. Velor Quenth works for Molhe Group.' },
      { id: 'person-1:0', contents: '"Dogek Sai"\nDogek Sai is a person. Dogek Sai is married to Velor Quenth.' },
    ]);
    expect(facts.map((fact) => fact.passageId)).toEqual(['person-0:0', 'person-0:1', 'person-0:0', 'person-1:0']);
    expect(passagesWith(5).passages.map((passage) => passage.id)).toEqual([
      'person-0:0',
      'person-0:1',
      'person-0:2',
      'person-1:0',
      'place-0:0',
      'organisation-0:0',
    ]);
  });
});
