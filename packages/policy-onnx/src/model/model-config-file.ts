import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeJsonAtomically, type AtomicWriteOptions } from '@research-ts/spec/node';
import {
  parseDecoderConfig,
  toHuggingFaceConfig,
  toHuggingFaceGenerationConfig,
  type DecoderConfig,
} from './decoder-config';
import { readEosTokenIdFallbacks } from './eos-token-id-fallbacks';
import { readJsonFile } from './read-json-file';

/**
 * The `DecoderConfig` of a model: from a model directory (its `config.json`), a path to a
 * `config.json`, or an already-parsed `config.json` object. Errors name the file and the field. A
 * `config.json` without `eos_token_id` takes it from the files beside it, as transformers does (see
 * `readEosTokenIdFallbacks`); a parsed object has no files beside it.
 */
export async function readModelConfig(input: string | object): Promise<DecoderConfig> {
  if (typeof input !== 'string') return parseDecoderConfig(input, 'config.json');
  const isDirectory = await stat(input).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  const path = isDirectory ? join(input, 'config.json') : input;
  const json = await readJsonFile(path);
  return parseDecoderConfig(json, path, await readEosTokenIdFallbacks(json, dirname(path)));
}

/**
 * Writes `config.json` (and, unless `generationConfig: false`, `generation_config.json`) into
 * `directory` in Hugging Face form. Returns the path of `config.json`.
 */
export async function writeModelConfig(
  directory: string,
  config: DecoderConfig,
  options: { generationConfig?: boolean } & AtomicWriteOptions = {},
): Promise<string> {
  const path = join(directory, 'config.json');
  await writeJsonAtomically(path, toHuggingFaceConfig(config), options);
  if (options.generationConfig ?? true)
    await writeJsonAtomically(
      join(directory, 'generation_config.json'),
      toHuggingFaceGenerationConfig(config),
      options,
    );
  return path;
}
