import { InvalidConfigError } from '@research-ts/spec';
import { lightStem } from './light-stemmer';

/**
 * Lucene's English stop set (`EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, the set Pyserini's default
 * BM25 analyzer removes): 33 words that carry almost no BM25 weight but have the longest postings.
 */
export const englishStopwords: readonly string[] = Object.freeze([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
]);

export interface AnalyzerOptions {
  /**
   * Terms removed after lowercasing: `'none'` (default: BM25's idf already gives them little weight, and
   * removing them lowered known-item recall), `'english'` ({@link englishStopwords}), or a list of your
   * own (normalized like text).
   */
  stopwords?: 'english' | 'none' | readonly string[];
  /** `'none'` (default): terms stay as written; `'light'`: the plural stemmer {@link lightStem}. */
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
  /**
   * A fast path for indexing: when `text` is ASCII and these settings remove and stem nothing, the
   * normalized text, whose terms are exactly its maximal runs of `a`–`z` and `0`–`9` (what {@link terms}
   * returns, without creating the strings); otherwise `undefined`.
   */
  asciiTermText(text: string): string | undefined;
}

const nonAscii = /[^\u0000-\u007f]/;
/** A term: a maximal run of letters, digits and combining marks. */
const termPattern = /[\p{L}\p{N}\p{M}]+/gu;
/** A possessive `'s` / `’s`: after a word character and not followed by one. */
const possessivePattern = /(?<=[\p{L}\p{N}\p{M}])['\u2019]s(?![\p{L}\p{N}\p{M}])/gu;

function normalizeText(text: string): string {
  return (nonAscii.test(text) ? text.normalize('NFKC') : text).toLowerCase();
}

/** Drops possessive endings (`'s`, `’s`) from normalized text. */
function dropPossessives(normalized: string): string {
  return normalized.includes("'") || normalized.includes('\u2019')
    ? normalized.replace(possessivePattern, '')
    : normalized;
}

/** Validates analyzer options (from a caller or a manifest) and fills in the defaults. */
export function resolveAnalyzerSettings(options: AnalyzerOptions = {}, path = 'analyzer'): AnalyzerSettings {
  const stopwords = options.stopwords ?? 'none';
  const stemmer = options.stemmer ?? 'none';
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
  const stopwordList =
    settings.stopwords === 'english' ? englishStopwords : settings.stopwords === 'none' ? [] : settings.stopwords;
  const stopwords = new Set(stopwordList.map(normalizeText));
  const stem = settings.stemmer === 'light';
  const possessives = settings.possessives;

  function terms(text: string): string[] {
    let normalized = normalizeText(text);
    if (possessives) normalized = dropPossessives(normalized);
    const found = normalized.match(termPattern);
    if (found === null) return [];
    if (stopwords.size === 0 && !stem) return found;
    const result: string[] = [];
    for (const term of found) if (!stopwords.has(term)) result.push(stem ? lightStem(term) : term);
    return result;
  }

  // On ASCII text, `[\p{L}\p{N}\p{M}]` after lowercasing is exactly `[a-z0-9]`, and NFKC changes nothing.
  const plain = stopwords.size === 0 && !stem;
  function asciiTermText(text: string): string | undefined {
    if (!plain || nonAscii.test(text)) return undefined;
    const lowered = text.toLowerCase();
    return possessives ? dropPossessives(lowered) : lowered;
  }

  return { settings, terms, asciiTermText };
}
