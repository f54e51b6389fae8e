import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exactMatch } from './exact-match';

const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/normalize-cases.json', import.meta.url), 'utf8')) as {
  scores: { prediction: string; golds: string[]; em: boolean }[];
};

describe('exactMatch', () => {
  it.each([
    ['Paris', ['paris'], 1],
    ['The Paris.', ['paris'], 1],
    // both sides normalize to "": EM 1 (F1 is 0)
    ['', [''], 1],
    ['A', ['a'], 1],
    ['the', ['An'], 1],
    ['20 June 1837', ['June 20, 1837'], 0],
    ['10.8', ['108'], 1],
    ['10.8', ['10 8'], 0],
    ['rock-and-roll', ['rockandroll'], 1],
    ['rock-and-roll', ['rock and roll'], 0],
    ['yes', ['no'], 0],
    ['Yes!', ['yes'], 1],
    ['James Madison', ['Madison', 'James  Madison'], 1],
    ['James Madison', [], 0],
    ['\u0130stanbul', ['i\u0307stanbul'], 1],
    ['\u0130stanbul', ['istanbul'], 0],
  ] as const)('%j vs %j → %d', (prediction, golds, expected) => {
    expect(exactMatch(prediction, golds)).toBe(expected);
  });

  it('accepts a single golden answer string', () => {
    expect(exactMatch('Paris', 'PARIS')).toBe(1);
    expect(exactMatch('Paris', 'Lyon')).toBe(0);
  });

  it.each(fixture.scores.map((entry) => [JSON.stringify([entry.prediction, entry.golds]), entry] as const))(
    'matches Python for %s',
    (_label, entry) => {
      expect(exactMatch(entry.prediction, entry.golds)).toBe(entry.em ? 1 : 0);
    },
  );
});
