/** One chat message, as chat templates take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

export interface ApplyChatTemplateOptions {
  /** Append the assistant header so the model continues as the assistant (`<|im_start|>assistant\n`). */
  addGenerationPrompt?: boolean;
  /**
   * More template variables, as transformers passes `apply_chat_template(..., **kwargs)`;
   * e.g. `{ enable_thinking: false }` for Qwen3.
   */
  extraContext?: Record<string, unknown>;
}

/**
 * Text to token ids and back. Implementations keep ids exact: `decode(encode(s)) === s` for any text
 * the vocabulary covers.
 */
export interface Tokenizer {
  readonly specificationVersion: 'v1';
  readonly vocabSize: number;
  /** Token ids that end a generation (e.g. `<|im_end|>` and `<|endoftext|>` for Qwen2.5). */
  readonly eosTokenIds: readonly number[];
  /** The text of the primary EOS token, as ReSearch's reward checks the response's ending. */
  readonly eosToken: string | undefined;
  readonly padTokenId: number | undefined;
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Renders a chat with the model's template; throws when the tokenizer has no template. */
  applyChatTemplate(messages: readonly ChatMessage[], options?: ApplyChatTemplateOptions): string;
}
