import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError } from '@research-ts/spec';
import { chatMlTemplate } from './chatml-template';
import type { TokenizerJson } from './tokenizer-json';

export interface WriteTokenizerDirectoryOptions {
  tokenizerJson: TokenizerJson;
  /** The token that ends an assistant turn, e.g. `<|im_end|>`; must be in `tokenizerJson`. */
  eosToken: string;
  /** Default `<|endoftext|>` when the tokenizer has it; `null` for none. */
  padToken?: string | null;
  bosToken?: string | null;
  /** Default: the model's `unk_token` (word-level tokenizers), else none. */
  unkToken?: string | null;
  /** A Jinja chat template; default the ChatML template; `null` to write none. */
  chatTemplate?: string | null;
  /** `model_max_length` in `tokenizer_config.json`. Default 32768. */
  modelMaxLength?: number;
}

export interface WrittenTokenizerDirectory {
  tokenizerJsonPath: string;
  tokenizerConfigPath: string;
}

/**
 * Writes `tokenizer.json` and a `tokenizer_config.json` that `transformers` (`AutoTokenizer`, via
 * `tokenizer_class: "PreTrainedTokenizerFast"`) and `loadTokenizer` both read: the special tokens as
 * text, `added_tokens_decoder`, the chat template, `clean_up_tokenization_spaces: false`. Creates the
 * directory when needed.
 */
export async function writeTokenizerDirectory(
  directory: string,
  options: WriteTokenizerDirectoryOptions,
): Promise<WrittenTokenizerDirectory> {
  const { tokenizerJson } = options;
  const known = new Set<string>([
    ...Object.keys(tokenizerJson.model.vocab),
    ...tokenizerJson.added_tokens.map((token) => token.content),
  ]);
  const modelUnk = typeof tokenizerJson.model.unk_token === 'string' ? tokenizerJson.model.unk_token : null;
  const checked = (field: string, token: string | null): string | null => {
    if (token !== null && !known.has(token))
      throw new InvalidConfigError(field, `${JSON.stringify(token)} is not a token of tokenizerJson`);
    return token;
  };
  const eosToken = checked('eosToken', options.eosToken);
  const padToken = checked(
    'padToken',
    options.padToken === undefined ? (known.has('<|endoftext|>') ? '<|endoftext|>' : null) : options.padToken,
  );
  const bosToken = checked('bosToken', options.bosToken ?? null);
  const unkToken = checked('unkToken', options.unkToken === undefined ? modelUnk : options.unkToken);
  const modelMaxLength = options.modelMaxLength ?? 32768;
  if (!Number.isInteger(modelMaxLength) || modelMaxLength < 1)
    throw new InvalidConfigError('modelMaxLength', `must be a positive integer, got ${modelMaxLength}`);

  const named = new Set([eosToken, padToken, bosToken, unkToken]);
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const token of [...tokenizerJson.added_tokens].sort((left, right) => left.id - right.id)) {
    addedTokensDecoder[String(token.id)] = {
      content: token.content,
      lstrip: token.lstrip,
      normalized: token.normalized,
      rstrip: token.rstrip,
      single_word: token.single_word,
      special: token.special,
    };
  }
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: tokenizerJson.added_tokens
      .filter((token) => token.special && !named.has(token.content))
      .map((token) => token.content),
    bos_token: bosToken,
    ...(options.chatTemplate === null ? {} : { chat_template: options.chatTemplate ?? chatMlTemplate }),
    clean_up_tokenization_spaces: false,
    eos_token: eosToken,
    model_max_length: modelMaxLength,
    pad_token: padToken,
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: unkToken,
  };

  await mkdir(directory, { recursive: true });
  const tokenizerJsonPath = join(directory, 'tokenizer.json');
  const tokenizerConfigPath = join(directory, 'tokenizer_config.json');
  await writeFile(tokenizerJsonPath, JSON.stringify(tokenizerJson, null, 2) + '\n');
  await writeFile(tokenizerConfigPath, JSON.stringify(tokenizerConfig, null, 2) + '\n');
  return { tokenizerJsonPath, tokenizerConfigPath };
}
