import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, type ApplyChatTemplateOptions, type ChatMessage, type Tokenizer } from '@research-ts/spec';
import { compileChatTemplate, type CompiledChatTemplate } from './chat-template';
import { createTokenizerEngine, type TokenizerEngine } from './hugging-face-engine';
import { resolveEosTokenIds } from './resolve-eos-token-ids';
import {
  readModelEosTokenIds,
  readTokenizerConfig,
  readTokenizerJson,
  type AddedTokenRecord,
  type TokenizerConfigFile,
} from './tokenizer-files';

export interface RenderChatTemplateOptions extends ApplyChatTemplateOptions {
  /**
   * More template variables, as transformers passes `apply_chat_template(..., **kwargs)`; e.g.
   * `{ enable_thinking: false }` for Qwen3. They override the built-in variables of the same name.
   */
  extraContext?: Record<string, unknown>;
  /** Tool schemas for templates that render them; `null` (Python's `None`) when absent. */
  tools?: readonly unknown[];
}

/** A `Tokenizer` read from Hugging Face files, with what those files say beyond the spec. */
export interface HuggingFaceTokenizer extends Tokenizer {
  readonly bosToken: string | undefined;
  readonly padToken: string | undefined;
  /** The chat template source, when the files have one. */
  readonly chatTemplate: string | undefined;
  /** Added tokens marked `special` (what `skipSpecialTokens` drops), ascending. */
  readonly specialTokenIds: readonly number[];
  applyChatTemplate(messages: readonly ChatMessage[], options?: RenderChatTemplateOptions): string;
}

/** The parsed files of a model directory; only `tokenizerJson` is required. */
export interface TokenizerFiles {
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
  /** `generation_config.json`, read for `eos_token_id`. */
  generationConfig?: unknown;
  /** `config.json`, read for `eos_token_id` when `generation_config.json` does not set it. */
  modelConfig?: unknown;
  /** The content of `chat_template.jinja`; it replaces `tokenizer_config.json`'s `chat_template`. */
  chatTemplate?: string;
  /** Names for error messages; default to the bare file names. */
  sources?: Partial<
    Record<'tokenizerJson' | 'tokenizerConfig' | 'generationConfig' | 'modelConfig' | 'chatTemplate', string>
  >;
}

const fileNames = {
  tokenizerJson: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  generationConfig: 'generation_config.json',
  modelConfig: 'config.json',
  chatTemplate: 'chat_template.jinja',
} as const;

const endOfTextToken = '<|endoftext|>';
/** Llama 3's end-of-turn tokens (see `EosSources.endOfTurn`). */
const endOfTurnTokens = ['<|eot_id|>', '<|eom_id|>'];

/**
 * Builds a tokenizer from already-parsed files. EOS ids follow `resolveEosTokenIds`: the
 * generation config's list when present, else the tokenizer's `eos_token` + config.json's
 * `eos_token_id` + `<|endoftext|>` and Llama 3's `<|eot_id|>`/`<|eom_id|>` when the vocabulary has them.
 */
export function loadTokenizerFromJson(files: TokenizerFiles): HuggingFaceTokenizer {
  const source = { ...fileNames, ...files.sources };
  const tokenizerFile = readTokenizerJson(files.tokenizerJson, source.tokenizerJson);
  const config: TokenizerConfigFile =
    files.tokenizerConfig === undefined
      ? readTokenizerConfig({}, source.tokenizerConfig)
      : readTokenizerConfig(files.tokenizerConfig, source.tokenizerConfig);

  // Added tokens that only tokenizer_config.json lists join the engine's list, as transformers merges them.
  const knownIds = new Set(tokenizerFile.addedTokens.map((token) => token.id));
  const extraAdded = config.addedTokensDecoder.filter((token) => !knownIds.has(token.id));
  const json =
    extraAdded.length === 0
      ? tokenizerFile.json
      : {
          ...tokenizerFile.json,
          added_tokens: [...(tokenizerFile.json.added_tokens as unknown[]), ...extraAdded.map(toAddedTokenJson)],
        };

  const model = json.model as Record<string, unknown>;
  const modelUnk = typeof model.unk_token === 'string' ? model.unk_token : undefined;
  let engine: TokenizerEngine;
  try {
    engine = createTokenizerEngine(json, {
      bosToken: config.bosToken,
      eosToken: config.eosToken,
      padToken: config.padToken,
      unkToken: config.unkToken ?? modelUnk,
      additionalSpecialTokens: config.additionalSpecialTokens,
      cleanUpTokenizationSpaces: config.cleanUpTokenizationSpaces,
    });
  } catch (error) {
    throw new InvalidInputError(
      `cannot be read by the tokenizer engine: ${(error as Error).message}`,
      { source: source.tokenizerJson },
      { cause: error },
    );
  }

  const idOf = (token: string | undefined, field: string): number | undefined => {
    if (token === undefined) return undefined;
    const id = engine.tokenToId(token);
    if (id === undefined) {
      throw new InvalidInputError(`names the token ${JSON.stringify(token)}, which is not in ${source.tokenizerJson}`, {
        source: source.tokenizerConfig,
        field,
      });
    }
    return id;
  };
  const checkIds = (ids: number[] | undefined, file: string): number[] | undefined => {
    for (const [index, id] of (ids ?? []).entries()) {
      if (engine.idToToken(id) === undefined) {
        throw new InvalidInputError(`id ${id} is not in ${source.tokenizerJson} (size ${engine.size})`, {
          source: file,
          field: ids!.length > 1 ? `eos_token_id.${index}` : 'eos_token_id',
        });
      }
    }
    return ids;
  };

  const eosTokenId = idOf(config.eosToken, 'eos_token');
  const padTokenId = idOf(config.padToken, 'pad_token');
  idOf(config.bosToken, 'bos_token');
  const eosTokenIds = resolveEosTokenIds({
    generationConfig:
      files.generationConfig === undefined
        ? undefined
        : checkIds(readModelEosTokenIds(files.generationConfig, source.generationConfig), source.generationConfig),
    tokenizerConfig: eosTokenId,
    modelConfig:
      files.modelConfig === undefined
        ? undefined
        : checkIds(readModelEosTokenIds(files.modelConfig, source.modelConfig), source.modelConfig),
    endOfText: engine.tokenToId(endOfTextToken),
    endOfTurn: endOfTurnTokens.flatMap((token) => engine.tokenToId(token) ?? []),
  });
  const eosToken = config.eosToken ?? (eosTokenIds[0] === undefined ? undefined : engine.idToToken(eosTokenIds[0]));

  const chatTemplateSource = files.chatTemplate ?? config.chatTemplate;
  const chatTemplateOrigin =
    files.chatTemplate !== undefined
      ? { source: source.chatTemplate }
      : { source: source.tokenizerConfig, field: 'chat_template' };
  let compiled: CompiledChatTemplate | undefined;

  const specialTokenIds: number[] = [];
  for (let id = 0; id < engine.size; id++) if (engine.isSpecial(id)) specialTokenIds.push(id);

  const templateVariables: Record<string, unknown> = {};
  if (config.bosToken !== undefined) templateVariables.bos_token = config.bosToken;
  if (config.eosToken !== undefined) templateVariables.eos_token = config.eosToken;
  if (config.unkToken !== undefined) templateVariables.unk_token = config.unkToken;
  if (config.padToken !== undefined) templateVariables.pad_token = config.padToken;
  if (config.additionalSpecialTokens.length > 0)
    templateVariables.additional_special_tokens = [...config.additionalSpecialTokens];

  return {
    specificationVersion: 'v1',
    vocabSize: engine.size,
    eosTokenIds,
    eosToken,
    padTokenId,
    bosToken: config.bosToken,
    padToken: config.padToken,
    chatTemplate: chatTemplateSource,
    specialTokenIds,
    encode(text, options = {}) {
      if (typeof text !== 'string') throw new InvalidInputError(`encode takes a string, got ${typeof text}`);
      return engine.encode(text, options.addSpecialTokens ?? true);
    },
    decode(ids, options = {}) {
      for (const [index, id] of ids.entries()) {
        if (!Number.isInteger(id) || id < 0)
          throw new InvalidInputError(`token id at index ${index} must be a non-negative integer, got ${id}`);
      }
      return engine.decode(ids, options.skipSpecialTokens ?? false);
    },
    tokenToId(token) {
      return engine.tokenToId(token);
    },
    idToToken(id) {
      return engine.idToToken(id);
    },
    applyChatTemplate(messages, options = {}) {
      if (chatTemplateSource === undefined) {
        throw new InvalidInputError('has no chat template', { source: source.tokenizerConfig, field: 'chat_template' });
      }
      if (compiled === undefined) {
        try {
          compiled = compileChatTemplate(chatTemplateSource);
        } catch (error) {
          throw new InvalidInputError(
            `chat template cannot be parsed: ${(error as Error).message}`,
            chatTemplateOrigin,
            { cause: error },
          );
        }
      }
      // The variables transformers' apply_chat_template passes: messages, tools, documents,
      // add_generation_prompt, the special tokens map, then the caller's template kwargs.
      const variables: Record<string, unknown> = {
        messages: messages.map((message) => ({ ...message })),
        tools: options.tools === undefined ? null : options.tools,
        documents: null,
        add_generation_prompt: options.addGenerationPrompt ?? false,
        ...templateVariables,
        ...options.extraContext,
      };
      try {
        return compiled.render(variables);
      } catch (error) {
        throw new InvalidInputError(`chat template failed to render: ${(error as Error).message}`, chatTemplateOrigin, {
          cause: error,
        });
      }
    },
  };
}

function toAddedTokenJson(token: AddedTokenRecord): Record<string, unknown> {
  return {
    id: token.id,
    content: token.content,
    single_word: token.singleWord,
    lstrip: token.lstrip,
    rstrip: token.rstrip,
    normalized: token.normalized,
    special: token.special,
  };
}

async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`is not valid JSON: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}

/**
 * Reads a Hugging Face model directory: `tokenizer.json` (required), `tokenizer_config.json`,
 * `chat_template.jinja`, `generation_config.json` and `config.json` (each optional).
 */
export async function loadTokenizer(directory: string): Promise<HuggingFaceTokenizer> {
  const paths = {
    tokenizerJson: join(directory, fileNames.tokenizerJson),
    tokenizerConfig: join(directory, fileNames.tokenizerConfig),
    generationConfig: join(directory, fileNames.generationConfig),
    modelConfig: join(directory, fileNames.modelConfig),
    chatTemplate: join(directory, fileNames.chatTemplate),
  };
  const [tokenizerText, configText, generationText, modelText, chatTemplate] = await Promise.all([
    readOptionalText(paths.tokenizerJson),
    readOptionalText(paths.tokenizerConfig),
    readOptionalText(paths.generationConfig),
    readOptionalText(paths.modelConfig),
    readOptionalText(paths.chatTemplate),
  ]);
  if (tokenizerText === undefined)
    throw new InvalidInputError('is missing (a Hugging Face tokenizer directory needs it)', {
      source: paths.tokenizerJson,
    });
  return loadTokenizerFromJson({
    tokenizerJson: parseJson(tokenizerText, paths.tokenizerJson),
    tokenizerConfig: configText === undefined ? undefined : parseJson(configText, paths.tokenizerConfig),
    generationConfig: generationText === undefined ? undefined : parseJson(generationText, paths.generationConfig),
    modelConfig: modelText === undefined ? undefined : parseJson(modelText, paths.modelConfig),
    chatTemplate,
    sources: paths,
  });
}
