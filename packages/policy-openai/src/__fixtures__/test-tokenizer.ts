import type { Tokenizer } from '@research-ts/spec';
import { MockTokenizer } from '@research-ts/testing';

/**
 * The tokenizer of the tests: `@research-ts/testing`'s character-level MockTokenizer (ids 0
 * `<|endoftext|>`, 1 `<|im_start|>`, 2 `<|im_end|>`; EOS ids [2, 0]) with three merges, so that a model
 * that emits `</`, `s`, … one character at a time re-encodes to fewer ids: the re-tokenization difference
 * the README warns about.
 */
export function createTestTokenizer(): MockTokenizer {
  return new MockTokenizer({ merges: ['<search>', '</search>', ' the'] });
}

/** Encodes `text` one id per character (no merges): what a model emitting single characters produces. */
export function encodeCharacterByCharacter(tokenizer: Tokenizer, text: string): number[] {
  return [...text].map((character) => {
    const id = tokenizer.tokenToId(character);
    if (id === undefined) throw new Error(`no single-character token for ${JSON.stringify(character)}`);
    return id;
  });
}
