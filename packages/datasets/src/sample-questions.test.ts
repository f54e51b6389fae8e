import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import fixture from './__fixtures__/python-random.json';
import { researchDataPath } from './__fixtures__/research-data';
import { readQuestionArray } from './read-question-array';
import { sampleQuestions } from './sample-questions';

describe('sampleQuestions', () => {
  it("gives ReSearch's validation subset of MuSiQue dev, in CPython's order", async () => {
    const musique = await readQuestionArray(researchDataPath('qa-dev', 'musique_dev.json')).toArray();
    expect(musique).toHaveLength(fixture.musiqueDev.length);
    const sample = sampleQuestions(musique, { n: 100, seed: 42, method: 'python' });
    expect(sample).toHaveLength(100);
    // random.seed(42); random.shuffle(list(range(2417)))[:100], from CPython:
    expect(sample).toEqual(fixture.musiqueDev.first100.map((index) => musique[index]));
    // and the questions CPython printed after shuffling the same file:
    expect(sample.slice(0, 3).map((example) => example.question)).toEqual(fixture.musiqueDev.firstQuestions);
    expect(sample[0]!.id).toBe(`musique_dev-${fixture.musiqueDev.first100[0]}`);
  });

  it('is deterministic, leaves its input alone, and takes everything when n exceeds the length', () => {
    const items = Array.from({ length: 20 }, (_, index) => index);
    const copy = [...items];
    expect(sampleQuestions(items, { n: 5, seed: 42 })).toEqual([19, 5, 14, 4, 9]);
    expect(sampleQuestions(items, { n: 5, seed: 42 })).toEqual(sampleQuestions(items, { n: 5, seed: 42 }));
    expect(items).toEqual(copy);
    expect(sampleQuestions(items, { n: 1000, seed: 42 })).toEqual([
      19, 5, 14, 4, 9, 13, 15, 18, 6, 12, 17, 10, 1, 11, 2, 16, 7, 8, 0, 3,
    ]);
    expect(sampleQuestions(items, { n: 0, seed: 42 })).toEqual([]);
    expect(sampleQuestions([], { n: 3, seed: 42 })).toEqual([]);
    expect(sampleQuestions(items, { n: 3, seed: 7 })).toEqual(
      fixture.cases.find((testCase) => testCase.seed === '7')!.shuffle[4]!.slice(0, 3),
    );
  });

  it('rejects a bad n or method', () => {
    expect(() => sampleQuestions([1], { n: -1, seed: 1 })).toThrow(InvalidConfigError);
    expect(() => sampleQuestions([1], { n: 1.5, seed: 1 })).toThrow(
      'config field "n": must be a non-negative integer (got 1.5)',
    );
    expect(() => sampleQuestions([1], { n: 1, seed: 1, method: 'numpy' as 'python' })).toThrow(
      `config field "method": must be 'python' (got "numpy")`,
    );
  });
});
