import { SeededRandom, splitPassageContents } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createDecoyCorpus, decoyAnswers } from './decoy-corpus';
import { generateWorld } from './generate-world';
import type { World } from './world-types';

const worldOf = (personNameWords: 1 | 2, organisationSuffixes?: string[]) =>
  generateWorld({
    seed: 3,
    people: 40,
    places: 8,
    organisations: 8,
    countries: 3,
    personNameWords,
    ...(organisationSuffixes === undefined ? {} : { organisationSuffixes }),
    questionsPerHop: { 1: 10, 2: 0, 3: 0 },
  });

/** The renaming a decoy corpus applied, read off the titles (passage i of both corpora is the same entity's). */
function renamingOf(world: World, decoy: { contents: string }[]): Map<string, string> {
  return new Map(
    world.passages.map((passage, index) => [
      splitPassageContents(passage.contents).title,
      splitPassageContents(decoy[index]!.contents).title,
    ]),
  );
}

describe('createDecoyCorpus', () => {
  for (const [label, world] of [
    ['one-word names', worldOf(1, [])],
    ['two-word people and suffixed companies', worldOf(2, ['Group', 'Labs'])],
  ] as const) {
    it(`renames every name to another name of its type, and nothing else (${label})`, () => {
      const { passages: decoy, rename: applied } = createDecoyCorpus(world, SeededRandom.fromSeed(5));
      expect(decoy.map((passage) => passage.id)).toEqual(world.passages.map((passage) => passage.id));
      const rename = renamingOf(world, decoy);
      expect(rename).toEqual(applied);
      const typeOf = new Map(world.entities.map((entity) => [entity.name, entity.type]));
      // a permutation within each type with no fixed point
      expect(new Set(rename.values())).toEqual(new Set(rename.keys()));
      for (const [from, to] of rename) {
        expect(to).not.toBe(from);
        expect(typeOf.get(to)).toBe(typeOf.get(from));
      }
      // undoing the renaming gives back the real passage, word for word
      const inverse = new Map([...rename].map(([from, to]) => [to, from]));
      const names = [...inverse.keys()].sort((a, b) => b.length - a.length);
      world.passages.forEach((passage, index) => {
        let restored = '';
        let rest = decoy[index]!.contents;
        while (rest.length > 0) {
          const name = names.find(
            (candidate) => rest.startsWith(candidate) && !/\p{L}/u.test(rest[candidate.length] ?? ''),
          );
          const atWordStart = restored.length === 0 || !/\p{L}/u.test(restored.at(-1)!);
          if (name !== undefined && atWordStart) {
            restored += inverse.get(name);
            rest = rest.slice(name.length);
          } else {
            restored += rest[0];
            rest = rest.slice(1);
          }
        }
        expect(restored).toBe(passage.contents);
      });
    });
  }

  it('states the real facts only by chance', () => {
    const world = worldOf(1, []);
    const decoy = createDecoyCorpus(world, SeededRandom.fromSeed(9)).passages;
    const born = world.facts.filter((fact) => fact.relation === 'born_in');
    expect(born.length).toBe(40);
    const stillTrue = born.filter((fact) => decoy.some((passage) => passage.contents.includes(fact.sentence)));
    // 8 places: about 1 in 8 renamed sentences names the real birthplace of its (renamed) subject
    expect(stillTrue.length).toBeLessThan(born.length * 0.3);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const world = worldOf(1, []);
    expect(createDecoyCorpus(world, SeededRandom.fromSeed(1))).toEqual(
      createDecoyCorpus(world, SeededRandom.fromSeed(1)),
    );
    expect(createDecoyCorpus(world, SeededRandom.fromSeed(1)).passages).not.toEqual(
      createDecoyCorpus(world, SeededRandom.fromSeed(2)).passages,
    );
  });

  it('answers a question as its decoy passages state it, hop by hop', () => {
    const world = generateWorld({
      seed: 4,
      people: 30,
      places: 6,
      organisations: 6,
      countries: 2,
      personNameWords: 1,
      organisationSuffixes: [],
      questionsPerHop: { 1: 20, 2: 20, 3: 0 },
    });
    const corpus = createDecoyCorpus(world, SeededRandom.fromSeed(2));
    const decoyAnswer = decoyAnswers(world, corpus);
    const titled = new Map(
      corpus.passages.map((passage) => [
        splitPassageContents(passage.contents).title,
        splitPassageContents(passage.contents).text,
      ]),
    );
    // read each hop's sentence off the decoy passage with the real sentence template of the hop's relation
    const read = (name: string, relation: string): string => {
      const template = world.settings.sentenceTemplates[relation as keyof typeof world.settings.sentenceTemplates]!;
      for (const sentence of template) {
        const [before, after] = sentence.replace('{subject}', name).split('{object}') as [string, string];
        const text = titled.get(name)!;
        const start = text.indexOf(before);
        if (start >= 0) return text.slice(start + before.length, text.indexOf(after, start + before.length));
      }
      throw new Error(`no ${relation} sentence in the decoy passage of ${name}`);
    };
    let differs = 0;
    const questions = [...world.questions.train, ...world.questions.heldOut];
    expect(questions.filter((question) => question.metadata.hops === 2).length).toBeGreaterThan(5);
    for (const question of questions) {
      const subject = question.metadata.searchQueries[0]!;
      const expected = question.metadata.relations.reduce((name, relation) => read(name, relation), subject);
      expect(decoyAnswer(subject, question.metadata.relations)).toBe(expected);
      if (expected !== question.goldenAnswers[0]) differs += 1;
    }
    expect(differs).toBeGreaterThan(questions.length * 0.6);
    expect(decoyAnswer(world.entities.find((entity) => entity.type === 'place')!.name, ['born_in'])).toBeUndefined();
  });
});
