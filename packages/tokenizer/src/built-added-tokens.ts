import { InvalidConfigError } from '@research-ts/spec';

/** Special tokens every tokenizer built here has, in this order: the ChatML markers and the document end. */
export const requiredSpecialTokens = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/**
 * The ReSearch tag strings. With `tagTokens: true` a built tokenizer adds each as one token (not
 * special, like Qwen's `<think>`), so a tiny model emits a tag in one step and `decode` keeps it.
 */
export const tagTokens = [
  '<think>',
  '</think>',
  '<search>',
  '</search>',
  '<result>',
  '</result>',
  '<answer>',
  '</answer>',
] as const;

/** An added token of a built tokenizer, before it has an id. */
export interface PlannedAddedToken {
  content: string;
  special: boolean;
}

/** Options shared by the tokenizer builders for their added tokens. */
export interface AddedTokenOptions {
  /** More special tokens, after the required ones (duplicates are ignored). */
  specialTokens?: readonly string[];
  /** Add the ReSearch tags (`<think>`, `</think>`, `<search>`, …) as single non-special tokens. Default false. */
  tagTokens?: boolean;
}

/** The added tokens in id order: required specials, extra specials, then the tags when asked. */
export function planAddedTokens(options: AddedTokenOptions, extraSpecial: readonly string[] = []): PlannedAddedToken[] {
  const planned: PlannedAddedToken[] = [];
  const seen = new Set<string>();
  const add = (content: string, special: boolean, field: string) => {
    if (typeof content !== 'string' || content === '')
      throw new InvalidConfigError(field, `must be a non-empty string, got ${JSON.stringify(content)}`);
    if (seen.has(content)) return;
    seen.add(content);
    planned.push({ content, special });
  };
  for (const token of requiredSpecialTokens) add(token, true, 'specialTokens');
  for (const [index, token] of (options.specialTokens ?? []).entries()) add(token, true, `specialTokens.${index}`);
  for (const token of extraSpecial) add(token, true, 'specialTokens');
  if (options.tagTokens === true) for (const token of tagTokens) add(token, false, 'tagTokens');
  return planned;
}

/**
 * Splits `text` around every occurrence of the `tokens` (longest match first at each position), as
 * the Hugging Face engines split added tokens out before pre-tokenization. Returns the pieces between
 * them; the tokens themselves are dropped.
 */
export function splitAroundTokens(text: string, tokens: readonly string[]): string[] {
  if (tokens.length === 0) return [text];
  const byLength = [...tokens].sort((left, right) => right.length - left.length);
  const firstCharacters = new Set(tokens.map((token) => token[0]!));
  const pieces: string[] = [];
  let start = 0;
  let position = 0;
  while (position < text.length) {
    if (firstCharacters.has(text[position]!)) {
      const match = byLength.find((token) => text.startsWith(token, position));
      if (match !== undefined) {
        if (position > start) pieces.push(text.slice(start, position));
        position += match.length;
        start = position;
        continue;
      }
    }
    position++;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}
