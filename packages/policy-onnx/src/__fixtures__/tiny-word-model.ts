// Test helpers: a word-level tokenizer over a small ReSearch-flavoured corpus and a tiny random
// Qwen2 decoder over its vocabulary whose EOS embedding is twice the embedding of "the", so that
// greedy generations end with EOS now and then (a random model would almost never emit it).
import { buildWordLevelTokenizer, loadTokenizerFromJson, type HuggingFaceTokenizer } from '@research-ts/tokenizer';
import type { DecoderConfig } from '../model/decoder-config';
import { tinyConfig } from '../model/decoder-config-presets';
import { createRandomModel, type DecoderModel } from '../model/random-model';

const corpus = [
  'The lighthouse keeper climbed the stairs and looked at the sea .',
  'What is the capital of France ? Paris is the capital .',
  'Hi , who wrote the book ? <search> author of the book </search> <result> the author is Ada </result> <answer> Ada </answer>',
];

export function tinyWordTokenizer(): HuggingFaceTokenizer {
  return loadTokenizerFromJson({ tokenizerJson: buildWordLevelTokenizer(corpus, { tagTokens: true }) });
}

/** `overrides` pick another family or shape (a Qwen3 or Llama variant); the default is the tiny Qwen2. */
export function tinyWordModel(
  tokenizer: HuggingFaceTokenizer,
  seed = 3,
  overrides: Partial<DecoderConfig> = {},
): DecoderModel {
  const config = tinyConfig({ vocabSize: tokenizer.vocabSize, ...overrides });
  const model = createRandomModel(config, { seed, initStd: 0.5 });
  const embeddings = model.parameters.get('model.embed_tokens.weight')!;
  const eos = tokenizer.eosTokenIds[0]!;
  const the = tokenizer.tokenToId('the')!;
  for (let index = 0; index < config.hiddenSize; index++)
    embeddings[eos * config.hiddenSize + index] = 2 * embeddings[the * config.hiddenSize + index]!;
  return model;
}

export const tinyPromptTexts = [
  'The lighthouse keeper climbed the stairs and',
  'Hi',
  '<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n',
];
