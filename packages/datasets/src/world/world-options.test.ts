import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { parseRelationChain, resolveWorldOptions, type GenerateWorldOptions } from './world-options';
import { defaultQuestionTemplates, relationCatalog } from './world-relations';

function configError(options: GenerateWorldOptions): InvalidConfigError {
  try {
    resolveWorldOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error('expected an InvalidConfigError');
}

describe('resolveWorldOptions', () => {
  it('keeps the enabled relations once each, in catalog order, with their sentence templates', () => {
    const settings = resolveWorldOptions({ seed: 0, relations: ['located_in', 'born_in', 'located_in'] });
    expect(settings.relations).toEqual(['born_in', 'located_in']);
    expect(settings.sentenceTemplates).toEqual({
      born_in: [...relationCatalog.born_in.sentences],
      located_in: [...relationCatalog.located_in.sentences],
    });
  });

  it('keeps only the question chains whose relations are all enabled, by hops then key', () => {
    const settings = resolveWorldOptions({ seed: 0, relations: ['born_in', 'located_in', 'capital'] });
    expect(Object.keys(settings.questionTemplates)).toEqual([
      'born_in',
      'capital',
      'located_in',
      'born_in>located_in',
      'located_in>capital',
      'born_in>located_in>capital',
    ]);
    expect(settings.questionTemplates['born_in>located_in']).toEqual([
      ...defaultQuestionTemplates['born_in>located_in']!,
    ]);
  });

  it('replaces the question templates as a whole, and per type or relation the intro and sentence templates', () => {
    const settings = resolveWorldOptions({
      seed: 0,
      questionTemplates: {
        'works_for>headquartered_in': ['Where does the employer of {subject} sit?'],
        'spouse>born_in': ['x {subject}'],
      },
      introTemplates: { place: ['{subject} is a town.'] },
      sentenceTemplates: { born_in: ['{object} is where {subject} was born.'] },
    });
    // spouse is not enabled by default, so its chain is dropped.
    expect(settings.questionTemplates).toEqual({
      'works_for>headquartered_in': ['Where does the employer of {subject} sit?'],
    });
    expect(settings.introTemplates.place).toEqual(['{subject} is a town.']);
    expect(settings.introTemplates.person).toEqual(['{subject} is a person.']);
    expect(settings.sentenceTemplates.born_in).toEqual(['{object} is where {subject} was born.']);
    expect(settings.sentenceTemplates.works_for).toEqual([...relationCatalog.works_for.sentences]);
  });

  it('fills the hop counts that are not given', () => {
    expect(resolveWorldOptions({ seed: 0, questionsPerHop: { 2: 5 } }).questionsPerHop).toEqual({
      1: 200,
      2: 5,
      3: 200,
    });
  });

  it.each([
    [{ seed: -1 }, 'seed', 'Too small: expected number to be >=0'],
    [{ seed: 1.5 }, 'seed', 'Invalid input: expected int, received number'],
    [{ seed: 1, people: -3 }, 'people', 'Too small: expected number to be >=0'],
    [
      { seed: 1, relations: ['born_in', 'lives_in'] },
      'relations.1',
      'Invalid option: expected one of "born_in"|"works_for"|"spouse"|"founded_by"|"headquartered_in"|"located_in"|"capital"',
    ],
    [{ seed: 1, relations: [] }, 'relations', 'must list at least one relation'],
    [{ seed: 1, heldOutFraction: 1.5 }, 'heldOutFraction', 'Too big: expected number to be <=1'],
    [{ seed: 1, organisationSuffixes: ['Big Group'] }, 'organisationSuffixes.0', 'must be one word of letters'],
    [{ seed: 1, sentenceTemplates: { born_in: [] } }, 'sentenceTemplates.born_in', 'must list at least one template'],
  ] as [GenerateWorldOptions, string, string][])('rejects %j at field %s', (options, path, problem) => {
    const error = configError(options);
    expect(error.path).toBe(path);
    expect(error.problem).toBe(problem);
  });

  it('needs the entity types its relations link', () => {
    expect(configError({ seed: 1, countries: 0 }).message).toBe(
      'config field "relations": located_in needs at least one country, but countries is 0',
    );
    expect(resolveWorldOptions({ seed: 1, countries: 0, relations: ['born_in', 'works_for'] }).countries).toBe(0);
    expect(configError({ seed: 1, relations: ['capital'] }).message).toBe(
      'config field "relations": capital needs located_in (a capital is one of the places located in its country)',
    );
  });

  it('checks the placeholders of every template', () => {
    expect(configError({ seed: 1, sentenceTemplates: { born_in: ['{subject} was born.'] } }).message).toBe(
      'config field "sentenceTemplates.born_in.0": "{subject} was born." must contain {object} exactly once (found 0)',
    );
    expect(configError({ seed: 1, introTemplates: { country: ['{subject} and {subject}.'] } }).message).toBe(
      'config field "introTemplates.country.0": "{subject} and {subject}." must contain {subject} exactly once (found 2)',
    );
    expect(
      configError({ seed: 1, questionTemplates: { born_in: ['Where was {subject} born?', 'Where was {name} born?'] } })
        .message,
    ).toBe(
      'config field "questionTemplates.born_in.1": unknown placeholder {name} in "Where was {name} born?" (use {subject})',
    );
    expect(
      configError({ seed: 1, questionTemplates: { born_in: ['Where was {object} born, {subject}?'] } }).problem,
    ).toBe('unknown placeholder {object} in "Where was {object} born, {subject}?" (use {subject})');
  });
});

describe('parseRelationChain', () => {
  it('splits a key into relations that link up', () => {
    expect(parseRelationChain('works_for>founded_by>born_in', 'key')).toEqual(['works_for', 'founded_by', 'born_in']);
    expect(parseRelationChain('spouse', 'key')).toEqual(['spouse']);
  });

  it.each([
    ['born_in>works_for', 'born_in ends at a place but works_for starts from a person'],
    [
      'born_in>lives_in',
      'unknown relation "lives_in" (relations: born_in, works_for, spouse, founded_by, headquartered_in, located_in, capital)',
    ],
    ['spouse>spouse>spouse>born_in', 'a chain has at most 3 relations (got 4)'],
    [
      '',
      'unknown relation "" (relations: born_in, works_for, spouse, founded_by, headquartered_in, located_in, capital)',
    ],
  ])('rejects %j', (key, problem) => {
    expect(() => parseRelationChain(key, `questionTemplates.${key}`)).toThrow(
      new InvalidConfigError(`questionTemplates.${key}`, problem),
    );
  });

  it('every default question chain links up', () => {
    for (const key of Object.keys(defaultQuestionTemplates)) expect(parseRelationChain(key, key).join('>')).toBe(key);
  });
});
