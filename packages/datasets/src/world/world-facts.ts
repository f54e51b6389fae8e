import type { PythonRandom } from '../python-random';
import type { WorldSettings } from './world-options';
import { relationNames } from './world-relations';
import { pick, stageRandom } from './world-random';
import type { EntityType, RelationName, WorldEntity } from './world-types';

/** A fact before it is placed in a passage. */
export interface FactDraft {
  relation: RelationName;
  subject: WorldEntity;
  object: WorldEntity;
  sentence: string;
}

/** Each relation draws from its own generator (stage 16 + its catalog index), so enabling one leaves the others' facts unchanged. */
const relationStageBase = 16;

/** `template` with each `{name}` replaced by `values[name]` (a function replacement, so `$` in a value is literal). */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

type Pairs = [subject: WorldEntity, object: WorldEntity][];

function pickFor(
  subjects: readonly WorldEntity[],
  objects: readonly WorldEntity[],
  random: PythonRandom,
  spread: 'uniform' | 'balanced',
): Pairs {
  if (spread === 'uniform' || objects.length === 0) return subjects.map((subject) => [subject, pick(random, objects)]);
  // balanced: the objects dealt out in rounds, each round in a new shuffled order
  let round: WorldEntity[] = [];
  return subjects.map((subject, index) => {
    if (index % objects.length === 0) round = random.shuffle([...objects]);
    return [subject, round[index % objects.length]!];
  });
}

/** Founders are different people while there are at least as many people as organisations. */
function founders(organisations: readonly WorldEntity[], people: readonly WorldEntity[], random: PythonRandom): Pairs {
  if (people.length < organisations.length) return pickFor(organisations, people, random, 'uniform');
  const shuffled = random.shuffle([...people]);
  return organisations.map((organisation, index) => [organisation, shuffled[index]!]);
}

/** Every country gets one place first (shuffled), while places last; the other places go to a uniform country. */
function locations(places: readonly WorldEntity[], countries: readonly WorldEntity[], random: PythonRandom): Pairs {
  const order = random.shuffle(places.map((_, index) => index));
  const country: WorldEntity[] = new Array(places.length);
  order.forEach((placeIndex, position) => {
    country[placeIndex] = position < countries.length ? countries[position]! : pick(random, countries);
  });
  return places.map((place, index) => [place, country[index]!]);
}

/** `round(people × fraction / 2)` couples drawn from the shuffled people; both directions are facts. */
function spouses(people: readonly WorldEntity[], fraction: number, random: PythonRandom): Pairs {
  const shuffled = random.shuffle([...people]);
  const couples = Math.min(Math.floor(shuffled.length / 2), Math.round((people.length * fraction) / 2));
  const partner = new Map<WorldEntity, WorldEntity>();
  for (let couple = 0; couple < couples; couple += 1) {
    partner.set(shuffled[2 * couple]!, shuffled[2 * couple + 1]!);
    partner.set(shuffled[2 * couple + 1]!, shuffled[2 * couple]!);
  }
  return people.filter((person) => partner.has(person)).map((person) => [person, partner.get(person)!]);
}

/** A capital for every country that holds a place: uniform among the places located in it. */
function capitals(countries: readonly WorldEntity[], located: Pairs, random: PythonRandom): Pairs {
  const pairs: Pairs = [];
  for (const country of countries) {
    const inside = located.filter(([, holder]) => holder === country).map(([place]) => place);
    if (inside.length > 0) pairs.push([country, pick(random, inside)]);
  }
  return pairs;
}

/**
 * The facts of a world, relation by relation in catalog order, each relation's facts in subject order. For
 * each relation its generator first draws the objects, then one sentence template per fact.
 *
 * - `born_in`, `works_for`, `headquartered_in`: a uniform object for every subject.
 * - `founded_by`: distinct founders when people ≥ organisations, else uniform.
 * - `located_in`: every country holds at least one place (when places ≥ countries).
 * - `capital`: one of the places located in the country.
 * - `spouse`: `round(people × spouseFraction / 2)` couples; each partner's passage states the marriage.
 */
export function draftFacts(
  settings: WorldSettings,
  byType: Readonly<Record<EntityType, readonly WorldEntity[]>>,
): FactDraft[] {
  const drafts: FactDraft[] = [];
  let located: Pairs = [];
  for (const relation of settings.relations) {
    const random = stageRandom(settings.seed, relationStageBase + relationNames.indexOf(relation));
    let pairs: Pairs;
    switch (relation) {
      case 'born_in':
        pairs = pickFor(byType.person, byType.place, random, settings.objectSpread ?? 'uniform');
        break;
      case 'works_for':
        pairs = pickFor(byType.person, byType.organisation, random, settings.objectSpread ?? 'uniform');
        break;
      case 'spouse':
        pairs = spouses(byType.person, settings.spouseFraction, random);
        break;
      case 'founded_by':
        pairs = founders(byType.organisation, byType.person, random);
        break;
      case 'headquartered_in':
        pairs = pickFor(byType.organisation, byType.place, random, settings.objectSpread ?? 'uniform');
        break;
      case 'located_in':
        pairs = locations(byType.place, byType.country, random);
        located = pairs;
        break;
      case 'capital':
        pairs = capitals(byType.country, located, random);
        break;
    }
    const templates = settings.sentenceTemplates[relation]!;
    for (const [subject, object] of pairs) {
      const sentence = fillTemplate(pick(random, templates), { subject: subject.name, object: object.name });
      drafts.push({ relation, subject, object, sentence });
    }
  }
  return drafts;
}
