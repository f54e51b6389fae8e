import { InvalidInputError } from '@research-ts/spec';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically, writeFully } from './atomic-file';
import { parseDecoderConfig, toHuggingFaceConfig, toHuggingFaceGenerationConfig, type DecoderConfig } from './decoder-config';

/** Reads and parses a JSON file; errors name the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`not valid JSON: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

/**
 * The `DecoderConfig` of a model: from a model directory (its `config.json`), a path to a
 * `config.json`, or an already-parsed `config.json` object. Errors name the file and the field.
 */
export async function readModelConfig(input: string | object): Promise<DecoderConfig> {
  if (typeof input !== 'string') return parseDecoderConfig(input, 'config.json');
  const isDirectory = await stat(input).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  const path = isDirectory ? join(input, 'config.json') : input;
  return parseDecoderConfig(await readJsonFile(path), path);
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline) atomically. */
export async function writeJsonFile(path: string, value: unknown, options: { durable?: boolean } = {}): Promise<void> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
  await writeFileAtomically(path, (handle) => writeFully(handle, bytes, 0), options);
}

/**
 * Writes `config.json` (and, unless `generationConfig: false`, `generation_config.json`) into
 * `directory` in Hugging Face form. Returns the path of `config.json`.
 */
export async function writeModelConfig(
  directory: string,
  config: DecoderConfig,
  options: { generationConfig?: boolean; durable?: boolean } = {},
): Promise<string> {
  const path = join(directory, 'config.json');
  await writeJsonFile(path, toHuggingFaceConfig(config), options);
  if (options.generationConfig ?? true) await writeJsonFile(join(directory, 'generation_config.json'), toHuggingFaceGenerationConfig(config), options);
  return path;
}
