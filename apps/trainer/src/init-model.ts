import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCorpusJsonl, worldTexts, type World } from '@research-ts/datasets';
import { createRandomModel, decoderParameterCount, saveModelDirectory } from '@research-ts/policy-onnx';
import { InvalidConfigError } from '@research-ts/spec';
import {
  buildBpeTokenizer,
  buildWorldTokenizer,
  loadTokenizer,
  writeTokenizerDirectory,
  type TokenizerJson,
} from '@research-ts/tokenizer';
import { embeddingInitStds, modelSizeConfig, type ModelSizeName } from './model-sizes';
import { buildWorld, type WorldSource } from './world-source';

export interface InitModelOptions {
  /** The model directory to write (must not exist or be empty unless `overwrite`). */
  directory: string;
  /** A name of `modelSizes`. */
  size: string;
  /** Seeds the weights. */
  seed: number;
  /** `word`: one id per word of the corpus (tiny synthetic worlds); `bpe`: byte-level BPE of `bpeVocabSize` ids. */
  tokenizer: 'word' | 'bpe';
  bpeVocabSize?: number;
  /** Build the tokenizer from this FlashRAG corpus (`{id, contents}` JSONL) … */
  corpusFile?: string;
  /** … or from a generated world (its passages and questions), or the config section that generates it. */
  world?: WorldSource | World;
  overwrite?: boolean;
  /**
   * Standard deviation of the (tied) word embeddings at initialisation; default: the size's
   * (`embeddingInitStds`: 0.1 for `tiny`), else the other weights' (0.02). A tiny model
   * that must copy names it rarely sees needs larger ones: the logit of a copied name is bounded by
   * its embedding's norm (see apps/trainer/EXPERIMENTS.md).
   */
  embeddingInitStd?: number;
}

export interface InitModelResult {
  directory: string;
  parameterCount: number;
  vocabSize: number;
  texts: number;
}

/** `createRandomModel`'s standard deviation of every weight matrix. */
const defaultInitStd = 0.02;

/**
 * Writes a randomly initialised model of a named size as a Hugging Face model directory with its
 * tokenizer (`tokenizer.json`, `tokenizer_config.json` with `<|im_end|>` as EOS and the ChatML template),
 * built from a corpus file or a generated world.
 */
export async function initModel(options: InitModelOptions): Promise<InitModelResult> {
  const texts: string[] = [];
  if (options.corpusFile !== undefined) {
    for await (const passage of readCorpusJsonl(options.corpusFile)) texts.push(passage.contents);
  } else if (options.world !== undefined) {
    texts.push(...worldTexts('entities' in options.world ? options.world : buildWorld(options.world)));
  } else throw new InvalidConfigError('corpus', 'give a corpus file or a world to build the tokenizer from');
  let tokenizerJson: TokenizerJson;
  if (options.tokenizer === 'word') tokenizerJson = buildWorldTokenizer(texts);
  else tokenizerJson = buildBpeTokenizer(texts, { vocabSize: options.bpeVocabSize ?? 4096, tagTokens: true });
  const staging = await mkdtemp(join(tmpdir(), 'research-ts-tokenizer-'));
  try {
    await writeTokenizerDirectory(staging, { tokenizerJson, eosToken: '<|im_end|>', padToken: '<|endoftext|>' });
    const tokenizer = await loadTokenizer(staging);
    const eosTokenId = tokenizer.tokenToId('<|im_end|>')!;
    const config = modelSizeConfig(options.size, { vocabSize: tokenizer.vocabSize, eosTokenId });
    const model = createRandomModel(config, { seed: options.seed });
    const embeddingInitStd = options.embeddingInitStd ?? embeddingInitStds[options.size as ModelSizeName];
    if (embeddingInitStd !== undefined) {
      if (!(embeddingInitStd > 0))
        throw new InvalidConfigError('embeddingInitStd', `must be > 0 (got ${embeddingInitStd})`);
      const embeddings = model.parameters.get('model.embed_tokens.weight')!;
      const scale = embeddingInitStd / defaultInitStd;
      for (let index = 0; index < embeddings.length; index++) embeddings[index]! *= scale;
    }
    await saveModelDirectory(options.directory, model, {
      copyTokenizerFrom: staging,
      overwrite: options.overwrite ?? false,
    });
    return {
      directory: options.directory,
      parameterCount: decoderParameterCount(config),
      vocabSize: tokenizer.vocabSize,
      texts: texts.length,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
