import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createAnalyzer, englishStopwords, resolveAnalyzerSettings } from './analyzer';
import { seededRandom } from '../test/known-item-queries';

describe('createAnalyzer (defaults: no stopwords, no stemming, possessives dropped)', () => {
  const analyzer = createAnalyzer();

  it.each([
    ['The Eddystone lighthouse, 1698–1703!', ['the', 'eddystone', 'lighthouse', '1698', '1703']],
    [
      '"Evan Morris"\nEvan L. Morris (January 26, 1977',
      ['evan', 'morris', 'evan', 'l', 'morris', 'january', '26', '1977'],
    ],
    ['Zürich and 東京 are cities', ['zürich', 'and', '東京', 'are', 'cities']],
    ['ΕΛΛΗΝΙΚΆ Москва القاهرة', ['ελληνικά', 'москва', 'القاهرة']],
    ['ﬁle ＡＢＣ ①', ['file', 'abc', '1']], // NFKC: ligature, fullwidth letters, circled digit
    ['e\u0301te\u0301', ['\u00e9t\u00e9']], // decomposed accents compose
    ["Obama's policy, the Smiths’ house, O'Neill's", ['obama', 'policy', 'the', 'smiths', 'house', 'o', 'neill']],
    ["it's 'so' 'sure", ['it', 'so', 'sure']],
    ['🙂 — “” \u0000', []],
    ['', []],
  ])('%j', (text, terms) => {
    expect(analyzer.terms(text)).toEqual(terms);
  });

  it('keeps repeats, so their count is the term frequency', () => {
    expect(analyzer.terms('to be or not to be')).toEqual(['to', 'be', 'or', 'not', 'to', 'be']);
  });

  it('reports its settings', () => {
    expect(analyzer.settings).toEqual({ stopwords: 'none', stemmer: 'none', possessives: true });
  });
});

describe('createAnalyzer options', () => {
  it('removes the English stop set before stemming', () => {
    const analyzer = createAnalyzer({ stopwords: 'english', stemmer: 'light' });
    expect(analyzer.terms('The cities of the world are there: lighthouses and stations')).toEqual([
      'city',
      'world',
      'lighthouse',
      'station',
    ]);
    expect(englishStopwords).toHaveLength(33);
  });

  it('takes a stopword list of its own, normalized like text', () => {
    const analyzer = createAnalyzer({ stopwords: ['Lighthouse', 'ＫＥＥＰＥＲ'] });
    expect(analyzer.terms('The lighthouse keeper')).toEqual(['the']);
    expect(analyzer.settings.stopwords).toEqual(['Lighthouse', 'ＫＥＥＰＥＲ']);
  });

  it('keeps possessives when asked', () => {
    expect(createAnalyzer({ possessives: false }).terms("Obama's")).toEqual(['obama', 's']);
  });

  it('rejects bad settings with the field path', () => {
    expect(() => resolveAnalyzerSettings({ stemmer: 'porter' as never })).toThrow(
      new InvalidConfigError('analyzer.stemmer', `expected 'light' or 'none', got "porter"`),
    );
    expect(() => resolveAnalyzerSettings({ stopwords: 'french' as never })).toThrow(
      'config field "analyzer.stopwords"',
    );
    expect(() => resolveAnalyzerSettings({ stopwords: ['a', 1] as never })).toThrow(
      'config field "analyzer.stopwords"',
    );
    expect(() => resolveAnalyzerSettings({ possessives: 'yes' as never })).toThrow(
      'config field "analyzer.possessives": expected a boolean, got "yes"',
    );
  });
});

describe('asciiTermText (the indexer fast path)', () => {
  /** The maximal [a-z0-9] runs of a text: how the indexer reads asciiTermText's result. */
  const runs = (text: string): string[] => text.match(/[a-z0-9]+/g) ?? [];

  it.each([
    ['"Evan Morris"\nEvan L. Morris (January 26, 1977', '"evan morris"\nevan l. morris (january 26, 1977'],
    ["Obama's policy, O'Neill's 'so'", "obama policy, o'neill 'so'"],
    ['', ''],
  ])('gives the normalized text of ASCII input: %j', (text, normalized) => {
    expect(createAnalyzer().asciiTermText(text)).toBe(normalized);
  });

  it('keeps possessives when the settings do', () => {
    expect(createAnalyzer({ possessives: false }).asciiTermText("Obama's")).toBe("obama's");
  });

  it('declines non-ASCII text and settings that remove or change terms', () => {
    expect(createAnalyzer().asciiTermText('Zürich')).toBeUndefined();
    expect(createAnalyzer().asciiTermText('Smiths’ house')).toBeUndefined();
    expect(createAnalyzer({ stopwords: 'english' }).asciiTermText('the house')).toBeUndefined();
    expect(createAnalyzer({ stemmer: 'light' }).asciiTermText('houses')).toBeUndefined();
    expect(createAnalyzer({ stopwords: [] }).asciiTermText('The house')).toBe('the house');
  });

  it('has exactly the terms of terms() on random ASCII text (every character class, apostrophes)', () => {
    const random = seededRandom(5);
    const alphabet = "aZz09 '\n\t.,-_\"!s'S`~\u0000\u007f";
    for (const possessives of [true, false]) {
      const analyzer = createAnalyzer({ possessives });
      for (let sample = 0; sample < 2000; sample += 1) {
        let text = '';
        const length = Math.floor(random() * 30);
        for (let index = 0; index < length; index += 1) text += alphabet[Math.floor(random() * alphabet.length)];
        expect({ text, terms: runs(analyzer.asciiTermText(text)!) }).toEqual({ text, terms: analyzer.terms(text) });
      }
    }
  });
});
