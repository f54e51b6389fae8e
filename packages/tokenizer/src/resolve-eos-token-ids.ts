/** The places a model directory names its end-of-sequence tokens, as ids. */
export interface EosSources {
  /** `generation_config.json` `eos_token_id`, when that file exists and sets it. */
  generationConfig?: readonly number[] | undefined;
  /** The id of `tokenizer_config.json` `eos_token`. */
  tokenizerConfig?: number | undefined;
  /** `config.json` `eos_token_id`. */
  modelConfig?: readonly number[] | undefined;
  /** The id of `<|endoftext|>`, when the vocabulary has it. */
  endOfText?: number | undefined;
  /**
   * The ids of Llama 3's end-of-turn tokens the vocabulary has (`<|eot_id|>`, and Llama 3.1+'s `<|eom_id|>`): its
   * chat template ends every turn with `<|eot_id|>` while `tokenizer_config.json` names `<|end_of_text|>`.
   */
  endOfTurn?: readonly number[] | undefined;
}

/**
 * The ids that end a generation.
 *
 * Rule: when `generation_config.json` sets `eos_token_id`, those ids are used as given (this is what
 * `transformers`' `generate` stops on; Qwen2.5-Instruct and Qwen3 list both `<|im_end|>` and
 * `<|endoftext|>` there). Otherwise the union, in this order, of the tokenizer's `eos_token`, the ids
 * of `config.json` `eos_token_id`, and `<|endoftext|>` when the vocabulary has it — so a chat model
 * whose tokenizer says `<|im_end|>` still stops on the document end it was pretrained with.
 * Duplicates are dropped, first occurrence kept.
 */
export function resolveEosTokenIds(sources: EosSources): number[] {
  const chosen =
    sources.generationConfig !== undefined && sources.generationConfig.length > 0
      ? [...sources.generationConfig]
      : [sources.tokenizerConfig, ...(sources.modelConfig ?? []), sources.endOfText, ...(sources.endOfTurn ?? [])];
  const ids: number[] = [];
  for (const id of chosen) if (id !== undefined && !ids.includes(id)) ids.push(id);
  return ids;
}
