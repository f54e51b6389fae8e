import { InvalidConfigError } from '@research-ts/spec';
import { planAddedTokens, splitAroundTokens, type AddedTokenOptions } from './built-added-tokens';
import { addedTokenJson, type TokenizerJson } from './tokenizer-json';

export interface BuildWordLevelTokenizerOptions extends AddedTokenOptions {
  /** The token for words outside the vocabulary; a special token. Default `<unk>`. */
  unknownToken?: string;
  /** A word enters the vocabulary only when it occurs at least this often. Default 1. */
  minFrequency?: number;
  /** Total ids, added tokens included; the rarest words are left out to fit. Default: no limit. */
  maxVocab?: number;
}

/**
 * Builds a word-level tokenizer: ids `0..k-1` are the added tokens (required specials, extra
 * specials, the unknown token, optional tags), then every whitespace-separated word of the corpus
 * by descending count, ties in code-unit order. Pre-tokenization is `WhitespaceSplit` and there is no
 * decoder, so `decode` joins tokens with one space: the corpus round-trips up to whitespace
 * (`decode(encode(s)) === s.trim().split(/\s+/).join(' ')` when every word is known).
 */
export function buildWordLevelTokenizer(
  corpus: Iterable<string>,
  options: BuildWordLevelTokenizerOptions = {},
): TokenizerJson {
  const unknownToken = options.unknownToken ?? '<unk>';
  const minFrequency = options.minFrequency ?? 1;
  if (!Number.isInteger(minFrequency) || minFrequency < 1)
    throw new InvalidConfigError('minFrequency', `must be an integer >= 1, got ${minFrequency}`);
  if (/\s/.test(unknownToken) || unknownToken === '')
    throw new InvalidConfigError(
      'unknownToken',
      `must be a non-empty string without whitespace, got ${JSON.stringify(unknownToken)}`,
    );
  const added = planAddedTokens(options, [unknownToken]);
  // The unknown token goes right after the specials the caller listed, before the tags.
  const maxVocab = options.maxVocab ?? Number.POSITIVE_INFINITY;
  if (maxVocab !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxVocab) || maxVocab < added.length)) {
    throw new InvalidConfigError(
      'maxVocab',
      `must be an integer >= ${added.length} (the added tokens), got ${maxVocab}`,
    );
  }

  const addedContents = added.map((token) => token.content);
  const wordCounts = new Map<string, number>();
  for (const text of corpus) {
    if (typeof text !== 'string') throw new InvalidConfigError('corpus', `must hold strings, got ${typeof text}`);
    for (const piece of splitAroundTokens(text, addedContents)) {
      for (const word of piece.match(/\S+/g) ?? []) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }
  const addedSet = new Set(addedContents);
  const ranked = [...wordCounts]
    .filter(([word, count]) => count >= minFrequency && !addedSet.has(word))
    .sort(
      ([leftWord, leftCount], [rightWord, rightCount]) =>
        rightCount - leftCount || (leftWord < rightWord ? -1 : leftWord > rightWord ? 1 : 0),
    )
    .slice(0, maxVocab - added.length);

  const vocab: Record<string, number> = {};
  added.forEach((token, id) => (vocab[token.content] = id));
  ranked.forEach(([word], index) => (vocab[word] = added.length + index));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((token, id) => addedTokenJson(id, token.content, token.special)),
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: unknownToken },
  };
}
