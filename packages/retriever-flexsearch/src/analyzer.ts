import { InvalidConfigError } from '@research-ts/spec';
import { lightStem } from './light-stemmer';

/**
 * Lucene's English stop set (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, the set Pyserini's default
 * BM25 analyzer removes): 33 words that carry almost no BM25 weight but have the longest postings.
 */
export const englishStopwords: readonly string[] = Object.freeze([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not',
  'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was',
  'will', 'with',
]);

export interface AnalyzerOptions {
  /**
   * Terms removed after lowercasing: `'english'` (default, {@link englishStopwords}), `'none'`, or a list
   * of your own (normalized like text).
   */
  stopwords?: 'english' | 'none' | readonly string[];
  /** `'light'` (default): the plural stemmer {@link lightStem}; `'none'`: terms stay as written. */
  stemmer?: 'light' | 'none';
  /** Drop a possessive `'s` / `’s` at the end of a word (default true): `Obama's` → `obama`. */
  possessives?: boolean;
}

/** The resolved analyzer settings: plain JSON, stored in a saved index's manifest. */
export interface AnalyzerSettings {
  stopwords: 'english' | 'none' | string[];
  stemmer: 'light' | 'none';
  possessives: boolean;
}

/** Turns text into index terms. The same analyzer runs over passages and queries. */
export interface Analyzer {
  readonly settings: AnalyzerSettings;
  /** The terms of `text`, in order, repeats kept (their count is the term frequency). */
  terms(text: string): string[];
}

const nonAscii = /[^\u0000-\u007f]/;
const wordCharacterPattern = /^[\p{L}\p{N}\p{M}]$/u;
/** Per BMP code unit: 0 not yet classified, 1 part of a word, 2 a separator. */
const bmpClass = new Uint8Array(0x10000);
for (let code = 0; code < 128; code += 1) {
  const word = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  bmpClass[code] = word ? 1 : 2;
}
const astralClass = new Map<number, boolean>();

/** Width in UTF-16 code units of the word character at `index`, or 0 when it is not part of a word. */
function wordWidthAt(text: string, index: number): number {
  if (index >= text.length) return 0;
  const code = text.charCodeAt(index);
  if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
    const codePoint = text.codePointAt(index)!;
    if (codePoint > 0xffff) {
      let word = astralClass.get(codePoint);
      if (word === undefined) {
        word = wordCharacterPattern.test(String.fromCodePoint(codePoint));
        astralClass.set(codePoint, word);
      }
      return word ? 2 : 0;
    }
  }
  let kind = bmpClass[code]!;
  if (kind === 0) {
    kind = wordCharacterPattern.test(String.fromCharCode(code)) ? 1 : 2;
    bmpClass[code] = kind;
  }
  return kind === 1 ? 1 : 0;
}

function normalizeText(text: string): string {
  return (nonAscii.test(text) ? text.normalize('NFKC') : text).toLowerCase();
}

/** Validates analyzer options (from a caller or a manifest) and fills in the defaults. */
export function resolveAnalyzerSettings(options: AnalyzerOptions = {}, path = 'analyzer'): AnalyzerSettings {
  const stopwords = options.stopwords ?? 'english';
  const stemmer = options.stemmer ?? 'light';
  const possessives = options.possessives ?? true;
  if (stopwords !== 'english' && stopwords !== 'none') {
    if (!Array.isArray(stopwords) || !stopwords.every((word) => typeof word === 'string')) {
      throw new InvalidConfigError(`${path}.stopwords`, `expected 'english', 'none' or an array of strings`);
    }
  }
  if (stemmer !== 'light' && stemmer !== 'none') {
    throw new InvalidConfigError(`${path}.stemmer`, `expected 'light' or 'none', got ${JSON.stringify(stemmer)}`);
  }
  if (typeof possessives !== 'boolean') {
    throw new InvalidConfigError(`${path}.possessives`, `expected a boolean, got ${JSON.stringify(possessives)}`);
  }
  return {
    stopwords: typeof stopwords === 'string' ? stopwords : [...stopwords],
    stemmer,
    possessives,
  };
}

/**
 * Builds the analyzer. Its steps, in order:
 * 1. Unicode NFKC normalization (only when the text has non-ASCII characters), then `toLowerCase()`.
 * 2. Split into maximal runs of letters, digits and combining marks (`\p{L}\p{N}\p{M}`); everything
 *    else separates terms. A run of CJK ideographs is one term (no word segmentation).
 * 3. With `possessives`, an apostrophe (`'` or `’`) + `s` that ends a word is dropped with the `s`.
 * 4. Stopwords are removed; 5. the stemmer runs on what is left.
 */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const settings = resolveAnalyzerSettings(options);
  const stopwordList = settings.stopwords === 'english' ? englishStopwords : settings.stopwords === 'none' ? [] : settings.stopwords;
  const stopwords = new Set(stopwordList.map(normalizeText));
  const stem = settings.stemmer === 'light';
  const possessives = settings.possessives;

  function terms(text: string): string[] {
    const normalized = normalizeText(text);
    const length = normalized.length;
    const result: string[] = [];
    let start = -1;
    let index = 0;
    while (index < length) {
      const width = wordWidthAt(normalized, index);
      if (width > 0) {
        if (start < 0) start = index;
        index += width;
        continue;
      }
      if (start >= 0) {
        const term = normalized.slice(start, index);
        start = -1;
        if (!stopwords.has(term)) result.push(stem ? lightStem(term) : term);
        const code = normalized.charCodeAt(index);
        if (
          possessives &&
          (code === 39 || code === 0x2019) &&
          normalized.charCodeAt(index + 1) === 115 &&
          wordWidthAt(normalized, index + 2) === 0
        ) {
          index += 2;
          continue;
        }
      }
      index += 1;
    }
    if (start >= 0) {
      const term = normalized.slice(start);
      if (!stopwords.has(term)) result.push(stem ? lightStem(term) : term);
    }
    return result;
  }

  return { settings, terms };
}
