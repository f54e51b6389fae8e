import { describe, expect, it } from 'vitest';
import { generateWorld } from './generate-world';
import { worldVocabulary } from './world-vocabulary';

describe('worldVocabulary', () => {
  it('lists the words of a small world: punctuation, names and template words, sorted', () => {
    const world = generateWorld({
      seed: 7,
      people: 3,
      places: 2,
      organisations: 1,
      countries: 1,
      relations: ['born_in'],
      organisationSuffixes: [],
      questionsPerHop: { 1: 3, 2: 0, 3: 0 },
      heldOutFraction: 0,
      questionTemplates: { born_in: ['Where was {subject} born?'] },
      sentenceTemplates: { born_in: ['{subject} was born in {object}.'] },
    });
    const names = world.entities.flatMap((entity) => entity.name.split(' '));
    const templateWords = ['is', 'a', 'person', 'city', 'company', 'country', 'was', 'born', 'in', 'Where'];
    const expected = ['"', '.', '?', ...names, ...templateWords].sort((left, right) =>
      left < right ? -1 : left > right ? 1 : 0,
    );
    expect(worldVocabulary(world)).toEqual(expected);
  });

  it('stays small for the default world: the name words plus a few dozen template words', () => {
    const world = generateWorld({ seed: 1 });
    const vocabulary = worldVocabulary(world);
    const nameWords = new Set(world.entities.flatMap((entity) => entity.name.split(' ')));
    // 200 two-word people, 40 places, 40 organisations (one word each plus 3 shared suffixes), 8 countries.
    expect(nameWords.size).toBe(400 + 40 + 40 + 3 + 8);
    for (const word of nameWords) expect(vocabulary).toContain(word);
    const others = vocabulary.filter((word) => !nameWords.has(word));
    expect(others.length).toBeLessThan(80);
    expect(vocabulary.length).toBeLessThan(600);
  });
});
