import { splitWorldWords } from '@research-ts/spec';
import { buildWordLevelTokenizer } from './build-word-level-tokenizer';
import type { TokenizerJson } from './tokenizer-json';

/** The boxed-answer opener, one token, so that `\boxed{ name }` decodes as the reward's extractor expects. */
export const boxedOpenToken = '\\boxed{';

/** Words every ReSearch transcript and compact prompt needs, besides the corpus's own. */
const promptWords = ['User', ':', 'Assistant', '}', 'The', 'final', 'answer', 'is', '\\', '[', ']'];

/**
 * A word-level tokenizer for a small synthetic corpus: every word and punctuation mark of `texts`
 * (split as spec's `splitWorldWords` splits them) is one id, the ReSearch tags and `\boxed{` are single
 * tokens, and pre-tokenization is Hugging Face's `Whitespace` (`\w+|[^\w\s]+`), so a passage's
 * `Tonouth.` encodes as `Tonouth` `.` and an answer copied from a passage is the same token as in it.
 * Decoding joins tokens with one space (`<answer> \boxed{ Tonouth } </answer>`), which the reward's
 * normalisation ignores. A few hundred ids for a generated world: small enough for a tiny model.
 */
export function buildWorldTokenizer(texts: Iterable<string>): TokenizerJson {
  const corpus: string[] = [promptWords.join(' ')];
  for (const text of texts) corpus.push(splitWorldWords(text).join(' '));
  const json = buildWordLevelTokenizer(corpus, { tagTokens: true });
  json.pre_tokenizer = { type: 'Whitespace' };
  const id = Math.max(...Object.values(json.model.vocab), ...json.added_tokens.map((token) => token.id)) + 1;
  json.model.vocab[boxedOpenToken] = id;
  json.added_tokens.push({
    id,
    content: boxedOpenToken,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: false,
  });
  return json;
}
