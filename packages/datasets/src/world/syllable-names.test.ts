import { describe, expect, it } from 'vitest';
import { PythonRandom } from '../python-random';
import { SyllableNames } from './syllable-names';

function draw(count: number, seed: number, reserved: string[] = []): string[] {
  const names = new SyllableNames(reserved);
  const random = new PythonRandom(seed);
  return Array.from({ length: count }, () => names.next(random, 'people'));
}

describe('SyllableNames', () => {
  it('draws the same words for the same seed and others for another seed', () => {
    expect(draw(50, 3)).toEqual(draw(50, 3));
    expect(draw(50, 4)).not.toEqual(draw(50, 3));
  });

  it('draws capitalised words of 4+ letters that never end in s, none inside another', () => {
    const words = draw(3000, 11);
    expect(new Set(words).size).toBe(3000);
    const lower = words.map((word) => word.toLowerCase());
    const shortest = Math.min(...lower.map((word) => word.length));
    expect(shortest).toBeGreaterThanOrEqual(4);
    for (const word of words) expect(word).toMatch(/^[A-Z][a-z]{3,}$/);
    expect(words.filter((word) => word.endsWith('s'))).toEqual([]);
    // A word inside another would have one of the other's substrings as a word: look them all up.
    const set = new Set(lower);
    const inside: string[] = [];
    for (const word of lower) {
      for (let start = 0; start < word.length; start += 1) {
        for (let end = start + shortest; end <= word.length; end += 1) {
          const part = word.slice(start, end);
          if (part !== word && set.has(part)) inside.push(`${part} in ${word}`);
        }
      }
    }
    expect(inside).toEqual([]);
  });

  it('never draws a reserved word and counts what it handed out', () => {
    const [first, second] = draw(2, 5);
    const names = new SyllableNames([first!.toUpperCase()]);
    const random = new PythonRandom(5);
    expect(names.next(random, 'people')).toBe(second);
    expect(names.size).toBe(1);
  });
});
