import { InvalidConfigError } from '@research-ts/spec';
import type { PythonRandom } from '../python-random';
import { pick } from './world-random';

const onsets = [
  'b',
  'd',
  'f',
  'g',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'br',
  'dr',
  'gr',
  'kr',
  'tr',
  'th',
  'sh',
];
const nuclei = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ei', 'ou'];
const innerCodas = ['', '', '', 'l', 'n', 'r', 'm', 'k'];
// No coda ends in "s", so a plural stemmer leaves every name word as it is.
const finalCodas = ['', '', 'l', 'n', 'r', 'm', 'k', 'th', 'x'];
/** Words shorter than this never come out (two syllables have at least four letters). */
const shortestWord = 4;

/**
 * Draws name words (`Molhe`, `Seikki`, `Leinlix`) from syllables: two syllables, or three one time in
 * eight, each an onset, a vowel and sometimes a coda. Every word it returns is new, and no word is
 * contained in another (case-insensitively), so every name built from these words is a distinct search
 * key: no name occurs inside another, and each word is a term of exactly one name.
 */
export class SyllableNames {
  readonly #accepted = new Set<string>();
  /** Every substring of at least `shortestWord` letters of every accepted word, lowercase. */
  readonly #substrings = new Set<string>();
  readonly #reserved: ReadonlySet<string>;

  /** `reserved`: words (compared lowercase) a name word must not equal, such as the words of the templates. */
  constructor(reserved: Iterable<string> = []) {
    this.#reserved = new Set([...reserved].map((word) => word.toLowerCase()));
  }

  /** How many words have been handed out. */
  get size(): number {
    return this.#accepted.size;
  }

  /** A new word drawn with `random`; `field` names the option to lower if the syllables run out. */
  next(random: PythonRandom, field: string): string {
    for (let attempt = 0; attempt < 10_000; attempt += 1) {
      const word = drawWord(random);
      if (this.#accept(word.toLowerCase())) return word;
    }
    throw new InvalidConfigError(
      field,
      `could not draw a new name word after 10000 tries (${this.size} words in use); ask for fewer entities`,
    );
  }

  #accept(word: string): boolean {
    if (this.#reserved.has(word) || this.#substrings.has(word)) return false;
    for (let start = 0; start + shortestWord <= word.length; start += 1) {
      for (let end = start + shortestWord; end <= word.length; end += 1) {
        if (this.#accepted.has(word.slice(start, end))) return false;
      }
    }
    this.#accepted.add(word);
    // Candidates have at least `shortestWord` letters, so shorter substrings never match one.
    for (let start = 0; start + shortestWord <= word.length; start += 1) {
      for (let end = start + shortestWord; end <= word.length; end += 1) this.#substrings.add(word.slice(start, end));
    }
    return true;
  }
}

function drawWord(random: PythonRandom): string {
  const syllables = random.randbelow(8) === 0 ? 3 : 2;
  let word = '';
  for (let index = 0; index < syllables; index += 1) {
    const last = index === syllables - 1;
    word += pick(random, onsets) + pick(random, nuclei) + pick(random, last ? finalCodas : innerCodas);
  }
  return word[0]!.toUpperCase() + word.slice(1);
}
