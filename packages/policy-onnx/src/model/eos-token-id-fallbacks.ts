import { loadTokenizer } from '@research-ts/tokenizer';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { familyDefaultEosTokenId, type EosTokenIdFallbacks } from './decoder-config';
import { readJsonFile } from './read-json-file';

const isFile = (path: string) =>
  stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads where the end-of-sequence token of a model directory is named when its `config.json` (already
 * parsed) has no `eos_token_id`; nothing is read when it has one. transformers accepts such a config
 * (`PretrainedConfig.eos_token_id` is then `None`, `LlamaConfig`'s is 2), and these are the fallbacks
 * followed, in `parseDecoderConfig`'s order:
 *
 * 1. `generation_config.json` `eos_token_id`: `GenerationConfig.from_pretrained` loads this file with the
 *    model, and `generate()` stops on it (transformers derives it from `config.json` only when the file is absent);
 * 2. the config class's default (`LlamaConfig(eos_token_id=2)`; `Qwen2Config` has none), as
 *    `config.json` would hold it once transformers saves it again;
 * 3. the tokenizer's EOS: `tokenizer_config.json` `eos_token` looked up in `tokenizer.json` (with
 *    `<|endoftext|>` when the vocabulary has it, `Qwen2Tokenizer`'s default `eos_token`), read by
 *    `@research-ts/tokenizer`. transformers' `generate()` would run to `max_length` without an EOS; vLLM and
 *    this package's generation stop on the tokenizer's EOS, so that is the id `config.json` gets.
 *
 * Not followed: `special_tokens_map.json` (transformers' older place for `eos_token`; the tokenizer files
 * written since transformers 4.x repeat it in `tokenizer_config.json`).
 */
export async function readEosTokenIdFallbacks(config: unknown, directory: string): Promise<EosTokenIdFallbacks> {
  if (!isRecord(config) || (config.eos_token_id !== undefined && config.eos_token_id !== null)) return {};
  const notFound: string[] = [];
  const generationPath = join(directory, 'generation_config.json');
  if (await isFile(generationPath)) {
    const generation = await readJsonFile(generationPath);
    const value = isRecord(generation) ? generation.eos_token_id : undefined;
    if (value !== undefined && value !== null)
      return { generationConfig: { value, source: generationPath, field: 'eos_token_id' } };
    notFound.push(`${generationPath} has no eos_token_id`);
  } else notFound.push(`${generationPath} does not exist`);
  if (familyDefaultEosTokenId(config) !== undefined) return { notFound };

  const tokenizerPath = join(directory, 'tokenizer.json');
  if (!(await isFile(tokenizerPath)))
    return { notFound: [...notFound, `${tokenizerPath} (the tokenizer) does not exist`] };
  const { eosTokenIds } = await loadTokenizer(directory);
  const tokenizerConfigPath = join(directory, 'tokenizer_config.json');
  if (eosTokenIds.length === 0)
    return {
      notFound: [...notFound, `${tokenizerConfigPath} names no eos_token (and ${tokenizerPath} has no <|endoftext|>)`],
    };
  return {
    tokenizer: {
      value: eosTokenIds.length === 1 ? eosTokenIds[0] : [...eosTokenIds],
      source: tokenizerConfigPath,
      field: 'eos_token',
    },
    notFound,
  };
}
