import { Tokenizer as HuggingFaceTokenizerEngine } from '@huggingface/tokenizers';

/**
 * The one file through which `@huggingface/tokenizers` enters this package. It turns a parsed
 * `tokenizer.json` (plus the few `tokenizer_config.json` settings the engine reads) into plain
 * encode/decode functions over numeric ids.
 */
export interface TokenizerEngine {
  /** One more than the largest id the vocabulary or the added tokens use. */
  readonly size: number;
  encode(text: string, addSpecialTokens: boolean): number[];
  /** Ids the vocabulary does not know are skipped, as the Rust `tokenizers` crate does. */
  decode(ids: readonly number[], skipSpecialTokens: boolean): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Whether `id` is an added token marked `special` (skipped by `skipSpecialTokens`). */
  isSpecial(id: number): boolean;
}

/** Settings of `tokenizer_config.json` the engine needs, already validated and reduced to strings. */
export interface EngineSettings {
  bosToken: string | undefined;
  eosToken: string | undefined;
  padToken: string | undefined;
  unkToken: string | undefined;
  additionalSpecialTokens: readonly string[];
  cleanUpTokenizationSpaces: boolean;
}

/**
 * Builds the engine. Throws the engine's own `Error` on a tokenizer.json it cannot read; the caller
 * wraps it with the file's name.
 */
export function createTokenizerEngine(
  tokenizerJson: Record<string, unknown>,
  settings: EngineSettings,
): TokenizerEngine {
  const engineConfig: Record<string, unknown> = {
    clean_up_tokenization_spaces: settings.cleanUpTokenizationSpaces,
    additional_special_tokens: [...settings.additionalSpecialTokens],
  };
  // The engine's word-level fallback model reads these by their text; other models ignore them.
  if (settings.bosToken !== undefined) engineConfig.bos_token = settings.bosToken;
  if (settings.eosToken !== undefined) engineConfig.eos_token = settings.eosToken;
  if (settings.padToken !== undefined) engineConfig.pad_token = settings.padToken;
  if (settings.unkToken !== undefined) engineConfig.unk_token = settings.unkToken;

  const engine = new HuggingFaceTokenizerEngine(tokenizerJson, engineConfig);
  const vocabulary = engine.get_vocab(true);
  let size = 0;
  for (const id of vocabulary.values()) if (id + 1 > size) size = id + 1;
  const specialIds = new Set<number>();
  for (const [id, token] of engine.get_added_tokens_decoder()) if (token.special) specialIds.add(id);

  return {
    size,
    encode(text, addSpecialTokens) {
      return engine.encode(text, { add_special_tokens: addSpecialTokens }).ids;
    },
    decode(ids, skipSpecialTokens) {
      const known: number[] = [];
      for (const id of ids) if (engine.id_to_token(id) !== undefined) known.push(id);
      if (known.length === 0) return '';
      return engine.decode(known, { skip_special_tokens: skipSpecialTokens });
    },
    tokenToId(token) {
      return engine.token_to_id(token);
    },
    idToToken(id) {
      return engine.id_to_token(id);
    },
    isSpecial(id) {
      return specialIds.has(id);
    },
  };
}
