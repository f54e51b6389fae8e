import { qwen2_5_0_5bConfig, tinyConfig, type DecoderConfig } from '@research-ts/policy-onnx';
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
} as const;

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
 * embeddings, float32). `qwen2.5-0.5b-shape` keeps Qwen's own vocabulary size when the tokenizer fits in it.
 */
export function modelSizeConfig(
  size: string,
  options: { vocabSize: number; eosTokenId: number; bosTokenId?: number },
): DecoderConfig {
  if (!(size in modelSizes))
    throw new InvalidConfigError('size', `unknown model size "${size}" (sizes: ${Object.keys(modelSizes).join(', ')})`);
  if (size === 'qwen2.5-0.5b-shape') {
    const qwen = qwen2_5_0_5bConfig();
    if (options.vocabSize > qwen.vocabSize)
      throw new InvalidConfigError('tokenizer', `has ${options.vocabSize} ids, more than Qwen2.5's ${qwen.vocabSize}`);
    return { ...qwen, eosTokenId: options.eosTokenId, bosTokenId: options.bosTokenId, torchDtype: 'float32' };
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
