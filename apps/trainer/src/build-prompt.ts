import { buildReSearchPrompt } from '@research-ts/rollout';
import type { Tokenizer } from '@research-ts/spec';

/** ReSearch's two templates, or the short one for tiny models. */
export type PromptTemplate = 'base' | 'instruct' | 'compact';

/** The compact prompt's text: the base template's `User:` / `Assistant:` frame without the instructions. */
export function renderCompactPrompt(question: string): string {
  return `User: ${question} Assistant:`;
}

/**
 * The prompt ids of one question. `base` and `instruct` are ReSearch's (`buildReSearchPrompt`);
 * `compact` is `User: {question} Assistant:`, for a tiny model with a short context that learns the
 * tag format from a warm-up instead of from instructions (ReSearch's base template is a paragraph
 * of instructions that such a model cannot make use of). Encoded without special tokens, as verl does.
 */
export function buildPromptIds(tokenizer: Tokenizer, question: string, template: PromptTemplate): number[] {
  if (template === 'compact') return tokenizer.encode(renderCompactPrompt(question), { addSpecialTokens: false });
  return buildReSearchPrompt(tokenizer, question, template);
}
