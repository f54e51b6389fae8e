import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coverExactMatch } from './cover-exact-match';

const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/normalize-cases.json', import.meta.url), 'utf8')) as {
  scores: { prediction: string; golds: string[]; coverEm: boolean }[];
};

describe('coverExactMatch', () => {
  it.each([
    ['The answer is Barack Obama.', ['Barack Obama'], 1],
    ['Obama', ['Barack Obama'], 0],
    ['Barack Hussein Obama', ['Barack Obama'], 0],
    // a character substring, not a token match
    ['concatenate', ['cat'], 1],
    // June 20, 1837 → "june 20 1837", which does not contain "20 june 1837"
    ['June 20, 1837', ['20 June 1837'], 0],
    ['on 20 June 1837.', ['20 June 1837'], 1],
    // a gold that normalizes to "" is in every prediction
    ['anything', ['The'], 1],
    ['', [''], 1],
    ['yes', ['no'], 0],
    ['rock-and-roll', ['rock and roll'], 0],
    ['rock and roll', ['rock-and-roll'], 0],
    ['Paris', [], 0],
    ['Lyon or Paris', ['Marseille', 'paris'], 1],
  ] as const)('%j covers %j → %d', (prediction, golds, expected) => {
    expect(coverExactMatch(prediction, golds)).toBe(expected);
  });

  it('accepts a single golden answer string', () => {
    expect(coverExactMatch('in Paris, France', 'paris')).toBe(1);
  });

  it.each(fixture.scores.map((entry) => [JSON.stringify([entry.prediction, entry.golds]), entry] as const))(
    'matches Python for %s',
    (_label, entry) => {
      expect(coverExactMatch(entry.prediction, entry.golds)).toBe(entry.coverEm ? 1 : 0);
    },
  );
});
