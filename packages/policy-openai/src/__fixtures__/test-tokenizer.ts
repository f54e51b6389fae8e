import type { Tokenizer } from '@research-ts/spec';

/**
 * A small deterministic tokenizer for tests: ids 0 and 1 are the special tokens `<|endoftext|>` and
 * `<|im_end|>` (both EOS, as in Qwen2.5), then a few merged tokens (`<search>`, `</search>`, ` the`),
 * then one token per printable ASCII character and `\n`. Encoding is greedy longest match, so a model
 * that emitted `</`, `s`, … one character at a time re-encodes to fewer ids: the re-tokenization
 * difference the README warns about.
 */
export function createTestTokenizer(): Tokenizer {
  const specials = ['<|endoftext|>', '<|im_end|>'];
  const merged = ['<search>', '</search>', ' the'];
  const characters = ['\n', ...Array.from({ length: 95 }, (_, offset) => String.fromCharCode(32 + offset))];
  const vocabulary = [...specials, ...merged, ...characters];
  const ids = new Map(vocabulary.map((token, id) => [token, id] as const));
  const byLength = [...specials, ...merged].sort((left, right) => right.length - left.length);

  return {
    specificationVersion: 'v1',
    vocabSize: vocabulary.length,
    eosTokenIds: [0, 1],
    eosToken: '<|im_end|>',
    padTokenId: 0,
    encode(text) {
      const out: number[] = [];
      let position = 0;
      outer: while (position < text.length) {
        for (const token of byLength) {
          if (text.startsWith(token, position)) {
            out.push(ids.get(token)!);
            position += token.length;
            continue outer;
          }
        }
        const id = ids.get(text[position]!);
        if (id === undefined) throw new Error(`test tokenizer cannot encode ${JSON.stringify(text[position])}`);
        out.push(id);
        position += 1;
      }
      return out;
    },
    decode(tokenIds, options = {}) {
      return tokenIds
        .map((id) => {
          const token = vocabulary[id];
          if (token === undefined) throw new Error(`test tokenizer has no id ${id}`);
          return options.skipSpecialTokens === true && id < specials.length ? '' : token;
        })
        .join('');
    },
    tokenToId: (token) => ids.get(token),
    idToToken: (id) => vocabulary[id],
    applyChatTemplate() {
      throw new Error('the test tokenizer has no chat template');
    },
  };
}

/** Encodes `text` one character per id (no merges): what a model emitting single characters produces. */
export function encodeCharacterByCharacter(tokenizer: Tokenizer, text: string): number[] {
  return [...text].map((character) => {
    const id = tokenizer.tokenToId(character);
    if (id === undefined) throw new Error(`no single-character token for ${JSON.stringify(character)}`);
    return id;
  });
}
