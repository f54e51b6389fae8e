import { hasQueryKeyNorm, type DecoderConfig } from './decoder-config';

/** One parameter tensor of a decoder: its Hugging Face name and shape (row-major, `[out, in]` for linear weights). */
export interface ParameterShape {
  name: string;
  shape: number[];
}

/**
 * The parameters of a Qwen2/Qwen3/Llama decoder under their Hugging Face names, in `state_dict` order:
 *
 * - `model.embed_tokens.weight` [vocab, hidden]
 * - per layer i, prefix `model.layers.{i}.`:
 *   `self_attn.q_proj.weight` [heads·headDim, hidden] (+ `.bias` [heads·headDim] when attentionBias),
 *   `self_attn.k_proj.weight`, `self_attn.v_proj.weight` [kvHeads·headDim, hidden] (+ biases),
 *   `self_attn.o_proj.weight` [hidden, heads·headDim] (+ `.bias` [hidden] when attentionOutputBias),
 *   Qwen3 only: `self_attn.q_norm.weight`, `self_attn.k_norm.weight` [headDim] (per-head RMSNorm before RoPE),
 *   `mlp.gate_proj.weight`, `mlp.up_proj.weight` [intermediate, hidden], `mlp.down_proj.weight` [hidden, intermediate]
 *   (+ biases when mlpBias), `input_layernorm.weight`, `post_attention_layernorm.weight` [hidden]
 * - `model.norm.weight` [hidden]
 * - `lm_head.weight` [vocab, hidden], only when the embeddings are not tied.
 */
export function decoderParameterShapes(config: DecoderConfig): ParameterShape[] {
  const { hiddenSize: hidden, intermediateSize: intermediate, headDim } = config;
  const queryWidth = config.numAttentionHeads * headDim;
  const keyValueWidth = config.numKeyValueHeads * headDim;
  const shapes: ParameterShape[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocabSize, hidden] }];
  const linear = (name: string, out: number, input: number, bias: boolean) => {
    shapes.push({ name: `${name}.weight`, shape: [out, input] });
    if (bias) shapes.push({ name: `${name}.bias`, shape: [out] });
  };
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    linear(`${prefix}.self_attn.q_proj`, queryWidth, hidden, config.attentionBias);
    linear(`${prefix}.self_attn.k_proj`, keyValueWidth, hidden, config.attentionBias);
    linear(`${prefix}.self_attn.v_proj`, keyValueWidth, hidden, config.attentionBias);
    linear(`${prefix}.self_attn.o_proj`, hidden, queryWidth, config.attentionOutputBias);
    if (hasQueryKeyNorm(config)) {
      shapes.push({ name: `${prefix}.self_attn.q_norm.weight`, shape: [headDim] });
      shapes.push({ name: `${prefix}.self_attn.k_norm.weight`, shape: [headDim] });
    }
    linear(`${prefix}.mlp.gate_proj`, intermediate, hidden, config.mlpBias);
    linear(`${prefix}.mlp.up_proj`, intermediate, hidden, config.mlpBias);
    linear(`${prefix}.mlp.down_proj`, hidden, intermediate, config.mlpBias);
    shapes.push({ name: `${prefix}.input_layernorm.weight`, shape: [hidden] });
    shapes.push({ name: `${prefix}.post_attention_layernorm.weight`, shape: [hidden] });
  }
  shapes.push({ name: 'model.norm.weight', shape: [hidden] });
  if (!config.tieWordEmbeddings) shapes.push({ name: 'lm_head.weight', shape: [config.vocabSize, hidden] });
  return shapes;
}

/** Total number of parameters (tied embeddings counted once). */
export function decoderParameterCount(config: DecoderConfig): number {
  return decoderParameterShapes(config).reduce(
    (total, { shape }) => total + shape.reduce((product, size) => product * size, 1),
    0,
  );
}
