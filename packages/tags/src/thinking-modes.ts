/**
 * How ReSearch's `<think> … </think>` tags meet a chat model's own thinking (Qwen3's chat template has an
 * `enable_thinking` switch; its vocabulary has `<think>` 151667 and `</think>` 151668 as single, non-special
 * added tokens, the very text of ReSearch's tags). The value is the chat template's extra variables, for
 * `tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, extraContext })`:
 *
 * - `native` (`enable_thinking: true`, the template's default): the prompt ends at `<|im_start|>assistant\n` and
 *   the model opens its own `<think>`, which IS ReSearch's opening tag: the two compose, and the format rules
 *   read the model's native think blocks as ReSearch's.
 * - `closed` (`enable_thinking: false`): the template appends an empty `<think>\n\n</think>\n\n` to the prompt
 *   (Qwen3's non-thinking mode); the response then starts after it, and ReSearch's tags are written as ordinary
 *   output (still the single tokens above). The empty block is part of the prompt ids, so the reward never sees it.
 *
 * Either way the rollout never re-renders the template between turns (Qwen3's template drops the `<think>`
 * content of earlier assistant turns when it renders a history): the ids are appended, not re-tokenized.
 * Templates without the variable ignore it (Qwen2.5, Llama 3).
 */
export const thinkingModes = {
  native: { enable_thinking: true },
  closed: { enable_thinking: false },
} as const satisfies Record<string, { enable_thinking: boolean }>;

export type ThinkingMode = keyof typeof thinkingModes;
