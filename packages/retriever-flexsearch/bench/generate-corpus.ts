import { seededRandom } from '../test/known-item-queries';

/**
 * The most frequent English words of encyclopedic text, in rough frequency order: the head of the
 * generated vocabulary, so the generated corpus has real stopword-like terms with very long postings.
 */
const headWords = (
  'the of and in to a was is for on as by with he that at from his it an were are which this also be has or had ' +
  'first one their its after new who they two her she been other when time during there into school more may years ' +
  'over only year most would world city some where between later three state such then national used made known ' +
  'under many university united while part season team these american than film second born south became states war ' +
  'through being including both before north high however people family early history album area him them series'
).split(' ');

const consonants = 'bcdfghjklmnprstvwz';
const vowels = 'aeiou';

/** A pronounceable made-up word for vocabulary rank `rank` (distinct ranks give distinct words). */
function syntheticWord(rank: number): string {
  let word = '';
  let value = rank;
  do {
    word += consonants[value % consonants.length]! + vowels[Math.floor(value / consonants.length) % vowels.length]!;
    value = Math.floor(value / (consonants.length * vowels.length));
  } while (value > 0);
  return `${word}${consonants[rank % 7]}`;
}

/** Vose's alias table: O(1) sampling from a fixed discrete distribution. */
function aliasSampler(weights: Float64Array, random: () => number): () => number {
  const count = weights.length;
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const probability = new Float64Array(count);
  const alias = new Int32Array(count);
  const small: number[] = [];
  const large: number[] = [];
  const scaled = weights.map((weight) => (weight * count) / total);
  scaled.forEach((value, index) => (value < 1 ? small : large).push(index));
  while (small.length > 0 && large.length > 0) {
    const less = small.pop()!;
    const more = large.pop()!;
    probability[less] = scaled[less]!;
    alias[less] = more;
    scaled[more] = scaled[more]! + scaled[less]! - 1;
    (scaled[more]! < 1 ? small : large).push(more);
  }
  for (const index of [...small, ...large]) probability[index] = 1;
  return () => {
    const column = Math.floor(random() * count);
    return random() < probability[column]! ? column : alias[column]!;
  };
}

export interface GeneratedCorpusOptions {
  passages: number;
  seed: number;
  /** Vocabulary size (default 400 000). */
  vocabulary?: number;
  /** Words per passage text (default 100, as wiki-18's 100-word passages). */
  wordsPerPassage?: number;
  /** Zipf exponent of word frequencies (default 1.0). */
  zipfExponent?: number;
}

/**
 * A synthetic FlashRAG-format corpus: ids "0"…"N−1", contents `"Title"\ntext` where the text is
 * sentences of 8–24 words drawn from a Zipf distribution over a vocabulary whose head is real English
 * function words, and the title is 1–3 words from the vocabulary's middle ranks.
 */
export function* generateCorpus(options: GeneratedCorpusOptions): Generator<{ id: string; contents: string }> {
  const random = seededRandom(options.seed);
  const vocabularySize = options.vocabulary ?? 400_000;
  const wordsPerPassage = options.wordsPerPassage ?? 100;
  const exponent = options.zipfExponent ?? 1.0;
  const vocabulary = Array.from({ length: vocabularySize }, (_, rank) =>
    rank < headWords.length ? headWords[rank]! : syntheticWord(rank),
  );
  const weights = new Float64Array(vocabularySize).map((_, rank) => 1 / Math.pow(rank + 1, exponent));
  const sampleWord = aliasSampler(weights, random);
  const capitalized = vocabulary.map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  for (let passage = 0; passage < options.passages; passage += 1) {
    const titleLength = 1 + Math.floor(random() * 3);
    let title = '';
    for (let index = 0; index < titleLength; index += 1) {
      title += (index === 0 ? '' : ' ') + capitalized[1000 + Math.floor(random() * 50_000)]!;
    }
    const sentences: string[] = [];
    let written = 0;
    while (written < wordsPerPassage) {
      const length = Math.min(8 + Math.floor(random() * 17), wordsPerPassage - written);
      const words: string[] = [capitalized[sampleWord()]!];
      for (let index = 1; index < length; index += 1) words.push(vocabulary[sampleWord()]!);
      sentences.push(`${words.join(' ')}.`);
      written += length;
    }
    // Built by joins, so every passage is one flat string (no concatenation tree to flatten later).
    const text = sentences.join(' ');
    yield { id: String(passage), contents: [`"${title}"`, text].join('\n') };
  }
}
