import { qwen2_5_0_5bConfig, qwen3_0_6bConfig, tinyConfig, type DecoderConfig } from '@research-ts/policy-onnx';
import { InvalidConfigError } from '@research-ts/spec';

/** The named sizes `research-ts init-model` knows. */
export const modelSizes = {
  /** For tests: one layer of width 32 (a few thousand parameters plus the embeddings). */
  micro: {
    hiddenSize: 32,
    intermediateSize: 64,
    numHiddenLayers: 1,
    numAttentionHeads: 2,
    numKeyValueHeads: 2,
    maxPositionEmbeddings: 256,
  },
  /** The CPU demo's policy: ~0.4M parameters over a few hundred word ids; trains in minutes on 2 cores. */
  tiny: {
    hiddenSize: 128,
    intermediateSize: 256,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    numKeyValueHeads: 4,
    maxPositionEmbeddings: 512,
  },
  /** A bigger toy: ~3M parameters plus the embeddings. */
  small: {
    hiddenSize: 256,
    intermediateSize: 768,
    numHiddenLayers: 4,
    numAttentionHeads: 8,
    numKeyValueHeads: 4,
    maxPositionEmbeddings: 2048,
  },
  /** Qwen2.5-0.5B's shapes (494M parameters with its 151,936-id vocabulary), randomly initialised. */
  'qwen2.5-0.5b-shape': undefined,
  /** Qwen3-0.6B's shapes (596M parameters: q/k norms, 16 heads of 128 over a 1024 hidden state, tied), randomly initialised. */
  'qwen3-0.6b-shape': undefined,
  /** Qwen3-1.7B's shapes (1.72B parameters, tied), randomly initialised. */
  'qwen3-1.7b-shape': undefined,
  /** Llama-3.2-1B's shapes (1.24B parameters with its 128,256-id vocabulary, tied, llama3 RoPE scaling), randomly initialised. */
  'llama-3.2-1b-shape': undefined,
} as const;

/** The sizes that copy a published checkpoint's config (keeping its vocabulary size when the tokenizer fits in it). */
const publishedShapes: Readonly<Record<string, () => DecoderConfig>> = {
  'qwen2.5-0.5b-shape': qwen2_5_0_5bConfig,
  'qwen3-0.6b-shape': qwen3_0_6bConfig,
  'qwen3-1.7b-shape': () => ({ ...qwen3_0_6bConfig(), hiddenSize: 2048, intermediateSize: 6144 }),
  'llama-3.2-1b-shape': () => ({
    family: 'llama',
    vocabSize: 128256,
    hiddenSize: 2048,
    intermediateSize: 8192,
    numHiddenLayers: 16,
    numAttentionHeads: 32,
    numKeyValueHeads: 8,
    headDim: 64,
    ropeTheta: 500000,
    rmsNormEps: 1e-5,
    tieWordEmbeddings: true,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 131072,
    bosTokenId: 128000,
    eosTokenId: [128001, 128008, 128009],
    padTokenId: undefined,
    torchDtype: 'bfloat16',
    ropeScaling: {
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    },
  }),
};

export type ModelSizeName = keyof typeof modelSizes;

/**
 * The standard deviation of the word embeddings at initialisation, per size (the other weights: 0.02).
 * The tiny policies copy names from their context through tied embeddings, and a copied name's logit is
 * bounded by the norm of its embedding: at 0.02 (norm ≈ 0.23 at width 128) a name seen a few times
 * cannot be copied confidently among a few hundred ids (apps/trainer/EXPERIMENTS.md, runs B and C).
 */
export const embeddingInitStds: Readonly<Partial<Record<ModelSizeName, number>>> = { tiny: 0.1 };

/**
 * The decoder config of a named size for a tokenizer of `vocabSize` ids (Qwen2 family, tied
 * embeddings, float32). The `…-shape` sizes take a published model's family and shapes and keep its own
 * vocabulary size when the tokenizer fits in it.
 */
export function modelSizeConfig(
  size: string,
  options: { vocabSize: number; eosTokenId: number; bosTokenId?: number },
): DecoderConfig {
  if (!(size in modelSizes))
    throw new InvalidConfigError('size', `unknown model size "${size}" (sizes: ${Object.keys(modelSizes).join(', ')})`);
  const published = publishedShapes[size];
  if (published !== undefined) {
    const shape = published();
    if (options.vocabSize > shape.vocabSize)
      throw new InvalidConfigError('tokenizer', `has ${options.vocabSize} ids, more than ${size}'s ${shape.vocabSize}`);
    return { ...shape, eosTokenId: options.eosTokenId, bosTokenId: options.bosTokenId, torchDtype: 'float32' };
  }
  const shape = modelSizes[size as 'micro' | 'tiny' | 'small'];
  return tinyConfig({
    ...shape,
    headDim: shape.hiddenSize / shape.numAttentionHeads,
    vocabSize: options.vocabSize,
    eosTokenId: options.eosTokenId,
    bosTokenId: options.bosTokenId,
  });
}
