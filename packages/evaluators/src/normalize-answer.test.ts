import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answerTokens, normalizeAnswer, pythonSplit } from './normalize-answer';

interface NormalizeFixture {
  python: string;
  unicodedata: string;
  cases: { input: string; normalized: string; tokens: string[] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/normalize-cases.json', import.meta.url), 'utf8'),
) as NormalizeFixture;

describe('normalizeAnswer against Python (tools/make-python-fixtures.py)', () => {
  it('has the cases the generator wrote', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(90);
    expect(fixture.unicodedata).toBe('14.0.0');
  });

  it.each(fixture.cases.map((entry) => [JSON.stringify(entry.input), entry] as const))('%s', (_label, entry) => {
    expect(normalizeAnswer(entry.input)).toBe(entry.normalized);
    expect(answerTokens(entry.input)).toEqual(entry.tokens);
  });
});

describe('normalizeAnswer rules, written out', () => {
  it.each([
    // lower → drop ASCII punctuation → drop a/an/the → collapse whitespace
    ['The Beatles', 'beatles'],
    ['A', ''],
    ['an apple a day', 'apple day'],
    ['Anna and the ant', 'anna and ant'],
    ['20 June 1837', '20 june 1837'],
    ['June 20, 1837', 'june 20 1837'],
    ['10.8', '108'],
    ['rock-and-roll', 'rockandroll'],
    // punctuation is removed before articles: the hyphens no longer separate words
    ['a-the-an', 'athean'],
    // only the 32 ASCII punctuation characters go; ’ – « » stay
    ['l\u2019an', 'l\u2019'],
    ['\u00abthe\u00bb', '\u00ab \u00bb'],
    // Unicode word boundaries: é and ² are word characters, a combining accent and an emoji are not
    ['the\u00e9 x', 'the\u00e9 x'],
    ['the\u00b2', 'the\u00b2'],
    ['the\u0301 x', '\u0301 x'],
    ['the\u{1F600}', '\u{1F600}'],
    // Python whitespace: U+001C–U+001F and U+0085 split, U+FEFF does not
    ['x\u001cthe\u001fy', 'x y'],
    ['\u0085the\u0085', ''],
    ['a\ufeffthe', '\ufeff'],
    // Unicode lowercase, including İ → i + U+0307 and the final sigma
    ['\u0130stanbul', 'i\u0307stanbul'],
    ['\u0391\u03a3 \u0391', '\u03b1\u03c2 \u03b1'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });

  it('differs from a naive JS port exactly where Python and JS disagree', () => {
    const naive = (text: string) =>
      text
        .toLowerCase()
        .replace(/[!-/:-@[-`{-~]/g, '')
        .replace(/\b(a|an|the)\b/g, ' ')
        .split(/\s+/)
        .filter(Boolean)
        .join(' ');
    expect(naive('the\u00e9 x')).toBe('\u00e9 x');
    expect(normalizeAnswer('the\u00e9 x')).toBe('the\u00e9 x');
    expect(naive('x\u001cthe')).toBe('x\u001c');
    expect(normalizeAnswer('x\u001cthe')).toBe('x');
    expect(naive('a\ufeffthe')).toBe('');
    expect(normalizeAnswer('a\ufeffthe')).toBe('\ufeff');
  });
});

describe('pythonSplit', () => {
  it.each([
    ['', []],
    ['   ', []],
    [' a  b ', ['a', 'b']],
    ['a\u00a0b\u3000c\u2003d', ['a', 'b', 'c', 'd']],
    ['a\u001db\u0085c', ['a', 'b', 'c']],
    ['a\ufeffb\u200bc\u180ed', ['a\ufeffb\u200bc\u180ed']],
  ])('%j', (input, expected) => {
    expect(pythonSplit(input)).toEqual(expected);
  });
});
