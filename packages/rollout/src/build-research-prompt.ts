import {
  renderReSearchBasePrompt,
  researchInstructMessages,
  thinkingModes,
  type ThinkingMode,
} from '@research-ts/tags';
import type { Tokenizer } from '@research-ts/spec';

/** Which ReSearch prompt: `'base'` (raw template, no chat template) or `'instruct'` (system prompt + chat template). */
export type ReSearchTemplate = 'base' | 'instruct';

export interface PromptOptions {
  /**
   * With the `instruct` template, how ReSearch's `<think>` meets the model's own thinking (tags' `thinkingModes`:
   * Qwen3's `enable_thinking` true for `native`, false for `closed`). Unset: the chat template's default (Qwen3:
   * native). Templates without the switch ignore it; the `base` template has no chat template.
   */
  thinking?: ThinkingMode;
}

/**
 * The prompt token ids of one question, as ReSearch builds them (`rl_dataset.py`): for `'base'` the
 * question in {@link renderReSearchBasePrompt}'s template; for `'instruct'` ReSearch's system prompt and
 * the question as the user message, rendered with the tokenizer's chat template and
 * `addGenerationPrompt: true`. Either string is encoded with `addSpecialTokens: false`, as verl's
 * `tokenize_and_postprocess_data` does.
 */
export function buildReSearchPrompt(
  tokenizer: Tokenizer,
  question: string,
  template: ReSearchTemplate,
  options: PromptOptions = {},
): number[] {
  const extraContext = options.thinking === undefined ? {} : { extraContext: thinkingModes[options.thinking] };
  const text =
    template === 'base'
      ? renderReSearchBasePrompt(question)
      : tokenizer.applyChatTemplate(researchInstructMessages(question), { addGenerationPrompt: true, ...extraContext });
  return tokenizer.encode(text, { addSpecialTokens: false });
}
