import { InvalidInputError } from '@research-ts/spec';

/**
 * Validation of the JSON files of a Hugging Face model directory. Each reader takes the parsed JSON and
 * the name of its source (a path, or the bare file name when the JSON came from memory) and returns
 * the fields this package uses, or throws `InvalidInputError` naming the source and the field.
 */

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, source: string, field?: string): JsonObject {
  if (!isObject(value)) {
    throw new InvalidInputError(`must be a JSON object, got ${describeType(value)}`, { source, field });
  }
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The text of a special-token field: a string, an AddedToken object `{ content }`, or absent (`null`). */
export function readSpecialTokenText(value: unknown, source: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  throw new InvalidInputError(
    `must be a string or an AddedToken object with a string "content", got ${describeType(value)}`,
    { source, field },
  );
}

/** One added token as `tokenizer.json` lists it. */
export interface AddedTokenRecord {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

function readFlag(record: JsonObject, key: string, fallback: boolean, source: string, field: string): boolean {
  const value = record[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new InvalidInputError(`must be a boolean, got ${describeType(value)}`, { source, field: `${field}.${key}` });
  return value;
}

function readAddedToken(value: unknown, source: string, field: string, knownId?: number): AddedTokenRecord {
  const record = requireObject(value, source, field);
  const id = knownId ?? record.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new InvalidInputError(`must be a non-negative integer, got ${JSON.stringify(id)}`, {
      source,
      field: `${field}.id`,
    });
  }
  if (typeof record.content !== 'string' || record.content === '') {
    throw new InvalidInputError('must be a non-empty string', { source, field: `${field}.content` });
  }
  return {
    id,
    content: record.content,
    special: readFlag(record, 'special', false, source, field),
    singleWord: readFlag(record, 'single_word', false, source, field),
    lstrip: readFlag(record, 'lstrip', false, source, field),
    rstrip: readFlag(record, 'rstrip', false, source, field),
    normalized: readFlag(record, 'normalized', !readFlag(record, 'special', false, source, field), source, field),
  };
}

/** What this package reads from `tokenizer.json`: the whole object (for the engine) and its added tokens. */
export interface TokenizerJsonFile {
  json: JsonObject;
  addedTokens: AddedTokenRecord[];
}

const pipelineFields = ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const;

export function readTokenizerJson(value: unknown, source: string): TokenizerJsonFile {
  const json = requireObject(value, source);
  const model = json.model;
  if (model === undefined) throw new InvalidInputError('is missing', { source, field: 'model' });
  const modelObject = requireObject(model, source, 'model');
  if (modelObject.vocab === undefined) throw new InvalidInputError('is missing', { source, field: 'model.vocab' });
  if (typeof modelObject.vocab !== 'object' || modelObject.vocab === null) {
    throw new InvalidInputError(`must be an object or an array, got ${describeType(modelObject.vocab)}`, {
      source,
      field: 'model.vocab',
    });
  }
  if (modelObject.type === 'BPE' && !Array.isArray(modelObject.merges)) {
    throw new InvalidInputError(`must be an array, got ${describeType(modelObject.merges)}`, {
      source,
      field: 'model.merges',
    });
  }
  for (const field of pipelineFields) {
    const stage = json[field];
    if (stage !== undefined && stage !== null) requireObject(stage, source, field);
  }
  const rawAdded = json.added_tokens ?? [];
  if (!Array.isArray(rawAdded))
    throw new InvalidInputError(`must be an array, got ${describeType(rawAdded)}`, { source, field: 'added_tokens' });
  const addedTokens = rawAdded.map((entry, index) => readAddedToken(entry, source, `added_tokens.${index}`));
  // The engine requires every pipeline stage to be present; the Rust crate writes absent ones as null.
  const normalized: JsonObject = { ...json, added_tokens: rawAdded };
  for (const field of pipelineFields) if (normalized[field] === undefined) normalized[field] = null;
  return { json: normalized, addedTokens };
}

/** A chat template field: a string, or a list of `{ name, template }` of which `default` is used. */
function readChatTemplate(value: unknown, source: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const [index, entry] of value.entries()) {
      const record = requireObject(entry, source, `chat_template.${index}`);
      if (typeof record.name !== 'string')
        throw new InvalidInputError('must be a string', { source, field: `chat_template.${index}.name` });
      if (typeof record.template !== 'string')
        throw new InvalidInputError('must be a string', { source, field: `chat_template.${index}.template` });
      if (record.name === 'default') return record.template;
    }
    return undefined;
  }
  throw new InvalidInputError(`must be a string or a list of { name, template }, got ${describeType(value)}`, {
    source,
    field: 'chat_template',
  });
}

/** What this package reads from `tokenizer_config.json`. */
export interface TokenizerConfigFile {
  bosToken: string | undefined;
  eosToken: string | undefined;
  padToken: string | undefined;
  unkToken: string | undefined;
  additionalSpecialTokens: string[];
  chatTemplate: string | undefined;
  /** Defaults to false when absent (transformers' default since v4.45), so `decode(encode(s)) === s`. */
  cleanUpTokenizationSpaces: boolean;
  addedTokensDecoder: AddedTokenRecord[];
}

export function readTokenizerConfig(value: unknown, source: string): TokenizerConfigFile {
  const config = requireObject(value, source);
  const rawAdditional = config.additional_special_tokens ?? [];
  if (!Array.isArray(rawAdditional)) {
    throw new InvalidInputError(`must be an array, got ${describeType(rawAdditional)}`, {
      source,
      field: 'additional_special_tokens',
    });
  }
  const additionalSpecialTokens = rawAdditional.map((entry, index) => {
    const text = readSpecialTokenText(entry, source, `additional_special_tokens.${index}`);
    if (text === undefined)
      throw new InvalidInputError('must not be null', { source, field: `additional_special_tokens.${index}` });
    return text;
  });
  const cleanUp = config.clean_up_tokenization_spaces ?? false;
  if (typeof cleanUp !== 'boolean') {
    throw new InvalidInputError(`must be a boolean, got ${describeType(cleanUp)}`, {
      source,
      field: 'clean_up_tokenization_spaces',
    });
  }
  const rawDecoder = config.added_tokens_decoder ?? {};
  const decoderObject = requireObject(rawDecoder, source, 'added_tokens_decoder');
  const addedTokensDecoder = Object.entries(decoderObject).map(([key, entry]) => {
    const id = Number(key);
    if (!/^\d+$/.test(key))
      throw new InvalidInputError(`has a key "${key}" that is not a token id`, {
        source,
        field: 'added_tokens_decoder',
      });
    return readAddedToken(entry, source, `added_tokens_decoder.${key}`, id);
  });
  return {
    bosToken: readSpecialTokenText(config.bos_token, source, 'bos_token'),
    eosToken: readSpecialTokenText(config.eos_token, source, 'eos_token'),
    padToken: readSpecialTokenText(config.pad_token, source, 'pad_token'),
    unkToken: readSpecialTokenText(config.unk_token, source, 'unk_token'),
    additionalSpecialTokens,
    chatTemplate: readChatTemplate(config.chat_template, source),
    cleanUpTokenizationSpaces: cleanUp,
    addedTokensDecoder,
  };
}

/** An `eos_token_id` field of `generation_config.json` or `config.json`: an id, a list of ids, or absent. */
export function readEosTokenIdField(value: unknown, source: string): number[] | undefined {
  if (value === undefined || value === null) return undefined;
  const ids = Array.isArray(value) ? value : [value];
  return ids.map((id, index) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      const field = Array.isArray(value) ? `eos_token_id.${index}` : 'eos_token_id';
      throw new InvalidInputError(`must be a non-negative integer or a list of them, got ${JSON.stringify(id)}`, {
        source,
        field,
      });
    }
    return id;
  });
}

/** Reads `eos_token_id` from `generation_config.json` or `config.json`. */
export function readModelEosTokenIds(value: unknown, source: string): number[] | undefined {
  return readEosTokenIdField(requireObject(value, source).eos_token_id, source);
}
