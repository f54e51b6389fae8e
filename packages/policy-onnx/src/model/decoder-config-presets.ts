import { checkDecoderConfig, type DecoderConfig } from './decoder-config';

/** Qwen2.5-0.5B's published shapes (Qwen/Qwen2.5-0.5B `config.json`): 494M parameters, tied embeddings, q/k/v biases. */
export function qwen2_5_0_5bConfig(): DecoderConfig {
  return {
    family: 'qwen2',
    vocabSize: 151936,
    hiddenSize: 896,
    intermediateSize: 4864,
    numHiddenLayers: 24,
    numAttentionHeads: 14,
    numKeyValueHeads: 2,
    headDim: 64,
    ropeTheta: 1_000_000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: true,
    attentionBias: true,
    attentionOutputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 32768,
    bosTokenId: 151643,
    eosTokenId: 151643,
    padTokenId: undefined,
    torchDtype: 'bfloat16',
    ropeScaling: undefined,
  };
}

/**
 * Qwen3-0.6B's published shapes (Qwen/Qwen3-0.6B `config.json`): 596M parameters, tied embeddings, no biases,
 * 16 query heads and 8 KV heads of 128 (wider than hidden / heads = 64), q/k norms; EOS `<|im_end|>` (151645).
 */
export function qwen3_0_6bConfig(): DecoderConfig {
  return {
    family: 'qwen3',
    vocabSize: 151936,
    hiddenSize: 1024,
    intermediateSize: 3072,
    numHiddenLayers: 28,
    numAttentionHeads: 16,
    numKeyValueHeads: 8,
    headDim: 128,
    ropeTheta: 1_000_000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: true,
    attentionBias: false,
    attentionOutputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 40960,
    bosTokenId: 151643,
    eosTokenId: 151645,
    padTokenId: undefined,
    torchDtype: 'bfloat16',
    ropeScaling: undefined,
  };
}

/**
 * A tiny decoder for tests and examples (default: Qwen2 family, vocab 128, hidden 32, 2 layers,
 * 4 heads of 8, 2 KV heads, MLP 64, tied embeddings). `overrides` replace fields; the biases follow
 * the family unless given, `headDim` follows hidden/heads unless given. The result is checked.
 */
export function tinyConfig(overrides: Partial<DecoderConfig> = {}): DecoderConfig {
  const family = overrides.family ?? 'qwen2';
  const hiddenSize = overrides.hiddenSize ?? 32;
  const numAttentionHeads = overrides.numAttentionHeads ?? 4;
  return checkDecoderConfig({
    family,
    vocabSize: 128,
    hiddenSize,
    intermediateSize: 64,
    numHiddenLayers: 2,
    numAttentionHeads,
    numKeyValueHeads: 2,
    headDim: hiddenSize / numAttentionHeads,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: true,
    attentionBias: family === 'qwen2',
    attentionOutputBias: false,
    mlpBias: false,
    maxPositionEmbeddings: 256,
    bosTokenId: 1,
    eosTokenId: 2,
    padTokenId: undefined,
    torchDtype: 'float32',
    ropeScaling: undefined,
    ...overrides,
  });
}
