import { renderReSearchBasePrompt, researchInstructMessages } from '@research-ts/tags';
import type { Tokenizer } from '@research-ts/spec';

/** Which ReSearch prompt: `'base'` (raw template, no chat template) or `'instruct'` (system prompt + chat template). */
export type ReSearchTemplate = 'base' | 'instruct';

/**
 * The prompt token ids of one question, as ReSearch builds them (`rl_dataset.py`): for `'base'` the
 * question in {@link renderReSearchBasePrompt}'s template; for `'instruct'` ReSearch's system prompt and
 * the question as the user message, rendered with the tokenizer's chat template and
 * `addGenerationPrompt: true`. Either string is encoded with `addSpecialTokens: false`, as verl's
 * `tokenize_and_postprocess_data` does.
 */
export function buildReSearchPrompt(tokenizer: Tokenizer, question: string, template: ReSearchTemplate): number[] {
  const text =
    template === 'base'
      ? renderReSearchBasePrompt(question)
      : tokenizer.applyChatTemplate(researchInstructMessages(question), { addGenerationPrompt: true });
  return tokenizer.encode(text, { addSpecialTokens: false });
}
