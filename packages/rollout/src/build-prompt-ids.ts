import type { Tokenizer } from '@research-ts/spec';
import { renderCompactPrompt } from '@research-ts/tags';
import { buildReSearchPrompt, type PromptOptions } from './build-research-prompt';

/** ReSearch's two templates, or the short one for tiny models. */
export type PromptTemplate = 'base' | 'instruct' | 'compact';

/** What each {@link PromptTemplate} renders; `satisfies` makes the compiler demand one entry per template. */
export const promptTemplates = {
  base: "ReSearch's base template: its instructions as plain text ending in `Assistant:`",
  instruct: "ReSearch's system prompt through the tokenizer's chat template",
  compact: '`User: {question} Assistant:`, for a tiny model with a short context that learns the format in a warm-up',
} as const satisfies Record<PromptTemplate, string>;

/**
 * The prompt ids of one question. `base` and `instruct` are ReSearch's (`buildReSearchPrompt`);
 * `compact` is tags' `renderCompactPrompt` (`User: {question} Assistant:`), for a tiny model with a
 * short context that learns the tag format from a warm-up instead of from instructions (ReSearch's
 * base template is a paragraph of instructions that such a model cannot make use of). Encoded without
 * special tokens, as verl does.
 */
export function buildPromptIds(
  tokenizer: Tokenizer,
  question: string,
  template: PromptTemplate,
  options: PromptOptions = {},
): number[] {
  if (template === 'compact') return tokenizer.encode(renderCompactPrompt(question), { addSpecialTokens: false });
  return buildReSearchPrompt(tokenizer, question, template, options);
}
