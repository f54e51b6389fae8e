import { InvalidConfigError } from '@research-ts/spec';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePassageContents } from '../passage-contents';
import { generateWorld } from './generate-world';
import type { World, WorldQuestion } from './world-types';

const defaultWorld = generateWorld({ seed: 1 });

function allQuestions(world: World): WorldQuestion[] {
  return [...world.questions.train, ...world.questions.heldOut];
}

/** How often `name` occurs in `text` as whole words (not inside a longer word). */
function occurrences(text: string, name: string): number {
  return text.match(new RegExp(`(?<![\\p{L}\\p{N}])${name}(?![\\p{L}\\p{N}])`, 'gu'))?.length ?? 0;
}

function countBy<Item>(items: readonly Item[], key: (item: Item) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const lookups = new WeakMap<World, ReturnType<typeof indexWorld>>();

function indexWorld(world: World) {
  return {
    entity: new Map(world.entities.map((item) => [item.id, item])),
    fact: new Map(world.facts.map((item) => [item.id, item])),
    passage: new Map(world.passages.map((item) => [item.id, item])),
  };
}

/**
 * Every promise the generator makes about one question, checked against the world's facts and passages;
 * returns the broken ones (as sentences), so a test asserts an empty list.
 */
function questionProblems(world: World, question: WorldQuestion): string[] {
  if (!lookups.has(world)) lookups.set(world, indexWorld(world));
  const { entity, fact, passage } = lookups.get(world)!;
  const { hops, relations, entityIds, factIds, supportingPassageIds, searchQueries, template } = question.metadata;
  const problems: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) problems.push(`${question.id} (${question.question}): ${what}`);
  };
  check(relations.length === hops && entityIds.length === hops + 1 && factIds.length === hops, 'chain lengths');
  check(new Set(entityIds).size === hops + 1, 'chain entities are distinct');
  check(
    world.settings.questionTemplates[relations.join('>')]?.includes(template) === true,
    'template belongs to the chain',
  );
  const subject = entity.get(entityIds[0]!)!;
  check(
    question.question === template.replace('{subject}', subject.name),
    'text is the template with the subject name',
  );
  // Follow the chain through the facts: from the subject, each relation's fact leads to the next entity.
  let current = subject.id;
  for (let hop = 0; hop < hops; hop += 1) {
    const used = fact.get(`${current}/${relations[hop]}`);
    if (used === undefined) {
      check(false, `hop ${hop}: no ${relations[hop]} fact for ${current}`);
      return problems;
    }
    check(factIds[hop] === used.id && used.objectId === entityIds[hop + 1], `hop ${hop}: fact and next entity`);
    const hopEntity = entity.get(current)!;
    // The perfect query is the hop entity's name, and the passage titled with it states the fact.
    check(searchQueries[hop] === hopEntity.name, `hop ${hop}: search query is the entity name`);
    check(
      supportingPassageIds[hop] === used.passageId && hopEntity.passageIds.includes(used.passageId),
      `hop ${hop}: supporting passage`,
    );
    const { title, text } = parsePassageContents(passage.get(used.passageId)!.contents);
    check(title === hopEntity.name, `hop ${hop}: passage title is the entity name`);
    check(text.includes(used.sentence), `hop ${hop}: passage states the fact`);
    check(
      occurrences(used.sentence, hopEntity.name) === 1 &&
        occurrences(used.sentence, entity.get(used.objectId)!.name) === 1,
      `hop ${hop}: sentence names both`,
    );
    current = used.objectId;
  }
  check(
    question.goldenAnswers.length === 1 && question.goldenAnswers[0] === entity.get(current)!.name,
    'gold answer is the end of the chain',
  );
  // Only the subject is named: the intermediate entities and the answer must be found.
  for (const id of entityIds.slice(1))
    check(occurrences(question.question, entity.get(id)!.name) === 0, `${id} is not named`);
  return problems;
}

function checkQuestions(world: World): void {
  const problems = allQuestions(world).flatMap((question) => questionProblems(world, question));
  expect(problems).toEqual([]);
}

describe('generateWorld', () => {
  it('fills in the documented defaults', () => {
    const { settings } = defaultWorld;
    expect(settings).toMatchObject({
      seed: 1,
      people: 200,
      places: 40,
      organisations: 40,
      countries: 8,
      relations: ['born_in', 'works_for', 'founded_by', 'headquartered_in', 'located_in'],
      passagesPerEntity: 1,
      personNameWords: 2,
      organisationSuffixes: ['Group', 'Guild', 'Foundry'],
      questionsPerHop: { 1: 200, 2: 200, 3: 200 },
      heldOutFraction: 0.2,
      split: 'entity',
    });
    expect(defaultWorld.entities).toHaveLength(200 + 40 + 40 + 8);
    expect(defaultWorld.passages).toHaveLength(288);
    // born_in + works_for per person, founded_by + headquartered_in per organisation, located_in per place.
    expect(defaultWorld.facts).toHaveLength(2 * 200 + 2 * 40 + 40);
  });

  it('gives, byte for byte, the recorded tiny world (scripts/make-world-fixture.ts)', () => {
    const text = readFileSync(new URL('../__fixtures__/tiny-world.json', import.meta.url), 'utf8');
    const recorded = JSON.parse(text) as World;
    expect(recorded.settings).toMatchObject({ seed: 7, people: 6, places: 3, organisations: 2, countries: 2 });
    expect(`${JSON.stringify(generateWorld(recorded.settings), null, 2)}\n`).toBe(text);
    // Read by hand from the fixture: a 2-hop question and the two passages that answer it.
    const question = recorded.questions.train.find(
      (item) => item.question === 'Where was the founder of Keimar Group born?',
    )!;
    expect(question.goldenAnswers).toEqual(['Rezex']);
    expect(question.metadata.supportingPassageIds).toEqual(['organisation-1:0', 'person-5:0']);
    const contents = (id: string) => recorded.passages.find((passage) => passage.id === id)!.contents;
    expect(contents('organisation-1:0')).toBe(
      '"Keimar Group"\nKeimar Group is a company. Keimar Group was founded by Kreizor Reikbrex. Keimar Group is based in Rezex.',
    );
    expect(contents('person-5:0')).toBe(
      '"Kreizor Reikbrex"\nKreizor Reikbrex is a person. Kreizor Reikbrex was born in Rezex. Kreizor Reikbrex is employed by Keimar Group.',
    );
  });

  it('is deterministic: the same seed gives the same JSON, another seed another world', () => {
    const again = JSON.stringify(generateWorld({ seed: 1 }));
    expect(again).toBe(JSON.stringify(defaultWorld));
    const other = generateWorld({ seed: 2 });
    expect(JSON.stringify(other)).not.toBe(again);
    const namesOne = new Set(defaultWorld.entities.map((entity) => entity.name));
    const shared = other.entities.filter((entity) => namesOne.has(entity.name)).length;
    expect(shared).toBeLessThan(10);
  });

  it('regenerates the same world from its settings', () => {
    const small = generateWorld({
      seed: 9,
      people: 30,
      places: 8,
      organisations: 6,
      countries: 3,
      relations: ['born_in', 'spouse'],
      questionsPerHop: { 1: 10, 2: 4, 3: 0 },
    });
    expect(generateWorld(small.settings)).toEqual(small);
  });

  it('keeps the names, facts and passages when only the questions change', () => {
    const fewer = generateWorld({
      seed: 1,
      questionsPerHop: { 1: 10, 2: 10, 3: 10 },
      split: 'question',
      heldOutFraction: 0.5,
    });
    expect(fewer.entities).toEqual(defaultWorld.entities);
    expect(fewer.facts).toEqual(defaultWorld.facts);
    expect(fewer.passages).toEqual(defaultWorld.passages);
  });

  it('keeps the facts of a relation when another relation is enabled', () => {
    const withSpouse = generateWorld({
      seed: 1,
      relations: ['born_in', 'works_for', 'founded_by', 'headquartered_in', 'located_in', 'spouse'],
    });
    const bornIn = (world: World) =>
      world.facts
        .filter((fact) => fact.relation === 'born_in')
        .map((fact) => [fact.subjectId, fact.objectId, fact.sentence]);
    expect(bornIn(withSpouse)).toEqual(bornIn(defaultWorld));
  });

  it('names every entity uniquely with 1–2 words, no name inside another', () => {
    const names = defaultWorld.entities.map((entity) => entity.name);
    expect(new Set(names).size).toBe(names.length);
    const lower = names.map((name) => name.toLowerCase());
    const inside: string[] = [];
    for (const [index, name] of lower.entries()) {
      for (const [otherIndex, other] of lower.entries())
        if (index !== otherIndex && other.includes(name)) inside.push(`${names[index]} in ${names[otherIndex]}`);
    }
    expect(inside).toEqual([]);
    for (const entity of defaultWorld.entities) {
      expect(entity.name).toMatch(/^\p{Lu}\p{Ll}+( \p{Lu}\p{Ll}+)?$/u);
      if (entity.type === 'person') expect(entity.name.split(' ')).toHaveLength(2);
      if (entity.type === 'organisation') expect(['Group', 'Guild', 'Foundry']).toContain(entity.name.split(' ')[1]);
      if (entity.type === 'place' || entity.type === 'country') expect(entity.name.split(' ')).toHaveLength(1);
    }
    // Apart from the organisation suffixes, every name word belongs to exactly one name.
    const words = names
      .flatMap((name) => name.split(' '))
      .filter((word) => !['Group', 'Guild', 'Foundry'].includes(word));
    expect(new Set(words).size).toBe(words.length);
  });

  it('names with one word when asked', () => {
    const world = generateWorld({
      seed: 4,
      people: 20,
      places: 5,
      organisations: 5,
      countries: 2,
      personNameWords: 1,
      organisationSuffixes: [],
      questionsPerHop: { 1: 5, 2: 5, 3: 5 },
    });
    for (const entity of world.entities) expect(entity.name).toMatch(/^\p{Lu}\p{Ll}+$/u);
  });

  it('titles one passage per entity, which names its entity more often than any other passage does', () => {
    const byTitle = new Map(
      defaultWorld.passages.map((passage) => [parsePassageContents(passage.contents).title, passage]),
    );
    expect(byTitle.size).toBe(defaultWorld.passages.length);
    const rivals: string[] = [];
    for (const entity of defaultWorld.entities) {
      expect(entity.passageIds).toEqual([`${entity.id}:0`]);
      const own = byTitle.get(entity.name)!;
      expect(own.id).toBe(`${entity.id}:0`);
      const ownCount = occurrences(own.contents, entity.name);
      expect(ownCount).toBeGreaterThanOrEqual(2);
      for (const passage of defaultWorld.passages) {
        if (
          passage !== own &&
          passage.contents.includes(entity.name) &&
          occurrences(passage.contents, entity.name) >= ownCount
        )
          rivals.push(`${entity.name} in ${passage.id}`);
      }
    }
    expect(rivals).toEqual([]);
  });

  it('answers every question through its chain, each hop from the passage titled with the hop entity', () => {
    checkQuestions(defaultWorld);
  });

  it('the chain check above catches a broken question', () => {
    const question = defaultWorld.questions.train.find((item) => item.metadata.hops === 2)!;
    const wrongAnswer = { ...question, goldenAnswers: [defaultWorld.entities[0]!.name] };
    expect(questionProblems(defaultWorld, wrongAnswer)).toEqual([
      `${question.id} (${question.question}): gold answer is the end of the chain`,
    ]);
    const otherPassage = {
      ...question,
      metadata: {
        ...question.metadata,
        supportingPassageIds: ['country-0:0', question.metadata.supportingPassageIds[1]!],
      },
    };
    expect(questionProblems(defaultWorld, otherPassage)).toEqual([
      `${question.id} (${question.question}): hop 0: supporting passage`,
    ]);
    const otherQuery = {
      ...question,
      metadata: { ...question.metadata, searchQueries: ['Nobody', question.metadata.searchQueries[1]!] },
    };
    expect(questionProblems(defaultWorld, otherQuery)).toEqual([
      `${question.id} (${question.question}): hop 0: search query is the entity name`,
    ]);
  });

  it('asks the requested number of questions per hop and holds out round(count × fraction)', () => {
    const perHop = (questions: WorldQuestion[]) => countBy(questions, (question) => String(question.metadata.hops));
    expect(perHop(defaultWorld.questions.train)).toEqual({ 1: 160, 2: 160, 3: 160 });
    expect(perHop(defaultWorld.questions.heldOut)).toEqual({ 1: 40, 2: 40, 3: 40 });
    const uneven = generateWorld({
      seed: 5,
      questionsPerHop: { 1: 7, 2: 0, 3: 3 },
      heldOutFraction: 0.3,
      split: 'question',
    });
    // round(7 × 0.3) = round(2.1) = 2 held out; round(3 × 0.3) = round(0.9) = 1.
    expect(perHop(uneven.questions.train)).toEqual({ 1: 5, 3: 2 });
    expect(perHop(uneven.questions.heldOut)).toEqual({ 1: 2, 3: 1 });
    const none = generateWorld({ seed: 5, questionsPerHop: { 1: 12, 2: 12, 3: 12 }, heldOutFraction: 0 });
    expect(none.questions.heldOut).toEqual([]);
    expect(none.questions.train).toHaveLength(36);
    const all = generateWorld({ seed: 5, questionsPerHop: { 1: 12, 2: 12, 3: 12 }, heldOutFraction: 1 });
    expect(all.questions.train).toEqual([]);
    expect(all.questions.heldOut).toHaveLength(36);
  });

  it('spreads the questions of a hop count evenly over the chains', () => {
    // Default 1-hop: 5 chains. Held out: 40 = 8 per chain; train: 160 = 32 per chain. Each pool is large enough.
    const oneHop = allQuestions(defaultWorld).filter((question) => question.metadata.hops === 1);
    expect(countBy(oneHop, (question) => question.metadata.relations.join('>'))).toEqual({
      born_in: 40,
      founded_by: 40,
      headquartered_in: 40,
      located_in: 40,
      works_for: 40,
    });
  });

  it('numbers the questions and never puts a question text in both splits', () => {
    const { train, heldOut } = defaultWorld.questions;
    expect(train.map((question) => question.id)).toEqual(train.map((_, index) => `train-${index}`));
    expect(heldOut.map((question) => question.id)).toEqual(heldOut.map((_, index) => `heldout-${index}`));
    const texts = allQuestions(defaultWorld).map((question) => question.question);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('entity split: no held-out question is about an entity a train question is about', () => {
    const trainSubjects = new Set(defaultWorld.questions.train.map((question) => question.metadata.entityIds[0]));
    for (const question of defaultWorld.questions.heldOut)
      expect(trainSubjects.has(question.metadata.entityIds[0])).toBe(false);
    // round(200 × 0.2) = 40 held-out people, round(40 × 0.2) = 8 places and 8 organisations.
    const heldOutSubjects = new Set(defaultWorld.questions.heldOut.map((question) => question.metadata.entityIds[0]));
    const byType = countBy([...heldOutSubjects], (id) => id!.split('-')[0]!);
    expect(byType.person).toBeLessThanOrEqual(40);
    expect(byType.place).toBeLessThanOrEqual(8);
    expect(byType.organisation).toBeLessThanOrEqual(8);
  });

  it('question split: shares subjects between splits but not question texts', () => {
    const world = generateWorld({
      seed: 3,
      split: 'question',
      questionsPerHop: { 1: 300, 2: 300, 3: 300 },
      heldOutFraction: 0.5,
    });
    const trainTexts = new Set(world.questions.train.map((question) => question.question));
    for (const question of world.questions.heldOut) expect(trainTexts.has(question.question)).toBe(false);
    const trainSubjects = new Set(world.questions.train.map((question) => question.metadata.entityIds[0]));
    expect(world.questions.heldOut.some((question) => trainSubjects.has(question.metadata.entityIds[0]))).toBe(true);
    checkQuestions(world);
  });

  it('states every fact in a passage titled with its subject when an entity has several passages', () => {
    const world = generateWorld({
      seed: 6,
      people: 40,
      places: 10,
      organisations: 8,
      countries: 3,
      relations: ['born_in', 'works_for', 'spouse', 'founded_by', 'headquartered_in', 'located_in', 'capital'],
      spouseFraction: 1,
      passagesPerEntity: 2,
      questionsPerHop: { 1: 40, 2: 40, 3: 40 },
    });
    const passage = new Map(world.passages.map((item) => [item.id, item]));
    for (const entity of world.entities) {
      const facts = world.facts.filter((fact) => fact.subjectId === entity.id);
      // People: born_in, works_for, spouse (everyone is married); organisations: 2; places: 1; countries: capital or none.
      expect(entity.passageIds).toEqual(
        Array.from({ length: Math.min(2, Math.max(1, facts.length)) }, (_, part) => `${entity.id}:${part}`),
      );
      for (const id of entity.passageIds)
        expect(parsePassageContents(passage.get(id)!.contents).title).toBe(entity.name);
      facts.forEach((fact, index) => {
        expect(fact.passageId).toBe(`${entity.id}:${index % entity.passageIds.length}`);
        expect(passage.get(fact.passageId)!.contents).toContain(fact.sentence);
      });
    }
    checkQuestions(world);
  });

  it('says which count to lower when there are too few questions to ask', () => {
    expect(() =>
      generateWorld({
        seed: 1,
        people: 10,
        places: 3,
        organisations: 2,
        countries: 1,
        questionsPerHop: { 1: 5, 2: 5, 3: 500 },
      }),
    ).toThrow(InvalidConfigError);
    try {
      generateWorld({
        seed: 1,
        people: 10,
        places: 3,
        organisations: 2,
        countries: 1,
        split: 'question',
        questionsPerHop: { 1: 5, 2: 5, 3: 500 },
      });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).path).toBe('questionsPerHop.3');
      expect((error as InvalidConfigError).message).toMatch(
        /^config field "questionsPerHop\.3": asked for 500 train and held-out 3-hop questions, but this world has only \d+ \(10 people, 3 places, 2 organisations, 1 countries, split 'question', heldOutFraction 0\.2\); ask for fewer questions or more entities$/,
      );
    }
  });
});
