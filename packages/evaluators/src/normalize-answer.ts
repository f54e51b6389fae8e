/**
 * SQuAD / HotpotQA answer normalization with Python 3 semantics (research-paper.md §5.1, §5.4):
 * `str.lower()` → drop the 32 ASCII punctuation characters → replace the words `a`, `an`, `the`
 * (Unicode word boundaries) by a space → `' '.join(text.split())`.
 *
 * Where JavaScript differs from Python this module emulates Python:
 * - `\b` in Python is Unicode-aware; in JS it is ASCII-only even with the `u` flag. Python's `\w`
 *   (CPython 3.11, `re`) is exactly the letters (`\p{L}`), the numbers (`\p{N}`: decimal digits,
 *   letter numbers such as `Ⅳ`, other numbers such as `²` and `½`) and `_`; combining marks are
 *   *not* word characters, so `"the\u0301"` loses its `the`. The boundaries are lookarounds on that set.
 * - `str.split()` splits on U+001C–U+001F and U+0085 and not on U+FEFF; JS `\s` does the opposite.
 * - `String.prototype.toLowerCase` and `str.lower()` agree on every code point assigned in
 *   Unicode 14 (Python 3.11), including `İ` → `i̇` and the final-sigma rule (checked exhaustively
 *   when this file was written). Code points assigned only in later Unicode versions follow Node's
 *   Unicode database, as a newer Python would.
 */
export function normalizeAnswer(text: string): string {
  const lowered = text.toLowerCase();
  const withoutPunctuation = lowered.replace(asciiPunctuation, '');
  const withoutArticles = withoutPunctuation.replace(article, ' ');
  return pythonSplit(withoutArticles).join(' ');
}

/** The tokens of a normalized answer: `normalizeAnswer(text).split()` in Python. */
export function answerTokens(text: string): string[] {
  const normalized = normalizeAnswer(text);
  return normalized === '' ? [] : normalized.split(' ');
}

/** Python's `string.punctuation`: ``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`` and nothing else. */
const asciiPunctuation = /[!-/:-@[-`{-~]/g;

/** Python's `\w` for `str` patterns: `str.isalnum()` or `_`. */
const pythonWordCharacter = String.raw`[\p{L}\p{N}_]`;

/** `\b(a|an|the)\b` with Python's Unicode word boundaries. */
const article = new RegExp(String.raw`(?<!${pythonWordCharacter})(?:a|an|the)(?!${pythonWordCharacter})`, 'gu');

/** The characters `str.split()` splits on (`str.isspace()`): bidi classes WS, B, S and category Zs. */
const pythonWhitespaceRun = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python's `str.split()` with no arguments: runs of whitespace separate, leading/trailing ones vanish. */
export function pythonSplit(text: string): string[] {
  return text.split(pythonWhitespaceRun).filter((part) => part !== '');
}
