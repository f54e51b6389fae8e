/** One entry of `tokenizer.json` `added_tokens`, as the Rust `tokenizers` crate writes it. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/**
 * The shape of a Hugging Face `tokenizer.json` as the builders of this package produce it. Pipeline
 * stages are kept as plain records; `model` is `BPE` or `WordLevel`.
 */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: Record<string, unknown> | null;
  pre_tokenizer: Record<string, unknown> | null;
  post_processor: Record<string, unknown> | null;
  decoder: Record<string, unknown> | null;
  model: Record<string, unknown> & { type: string; vocab: Record<string, number> };
}

export function addedTokenJson(id: number, content: string, special: boolean): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}
