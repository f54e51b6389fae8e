import { describe, expect, it } from 'vitest';
import { qwen2_5_0_5bConfig, qwen3_0_6bConfig, tinyConfig } from './decoder-config-presets';
import { decoderParameterCount, decoderParameterShapes } from './decoder-parameter-shapes';

describe('decoderParameterShapes', () => {
  it('lists the Hugging Face names and shapes of Qwen2.5-0.5B in state_dict order', () => {
    const shapes = decoderParameterShapes(qwen2_5_0_5bConfig());
    // 1 embedding + 24 layers × 12 tensors (7 weights, 3 q/k/v biases, 2 norms) + final norm; lm_head tied.
    expect(shapes).toHaveLength(1 + 24 * 12 + 1);
    expect(shapes.slice(0, 14)).toEqual([
      { name: 'model.embed_tokens.weight', shape: [151936, 896] },
      { name: 'model.layers.0.self_attn.q_proj.weight', shape: [896, 896] },
      { name: 'model.layers.0.self_attn.q_proj.bias', shape: [896] },
      { name: 'model.layers.0.self_attn.k_proj.weight', shape: [128, 896] },
      { name: 'model.layers.0.self_attn.k_proj.bias', shape: [128] },
      { name: 'model.layers.0.self_attn.v_proj.weight', shape: [128, 896] },
      { name: 'model.layers.0.self_attn.v_proj.bias', shape: [128] },
      { name: 'model.layers.0.self_attn.o_proj.weight', shape: [896, 896] },
      { name: 'model.layers.0.mlp.gate_proj.weight', shape: [4864, 896] },
      { name: 'model.layers.0.mlp.up_proj.weight', shape: [4864, 896] },
      { name: 'model.layers.0.mlp.down_proj.weight', shape: [896, 4864] },
      { name: 'model.layers.0.input_layernorm.weight', shape: [896] },
      { name: 'model.layers.0.post_attention_layernorm.weight', shape: [896] },
      { name: 'model.layers.1.self_attn.q_proj.weight', shape: [896, 896] },
    ]);
    expect(shapes.at(-2)!.name).toBe('model.layers.23.post_attention_layernorm.weight');
    expect(shapes.at(-1)).toEqual({ name: 'model.norm.weight', shape: [896] });
    expect(new Set(shapes.map(({ name }) => name)).size).toBe(shapes.length);
  });

  it('counts 494,032,768 parameters for Qwen2.5-0.5B (the published 0.49B)', () => {
    // embed 151936·896 = 136,134,656; per layer 2·896² + 2·128·896 + 3·4864·896 + 896 + 2·128 + 2·896 = 14,912,384;
    // × 24 = 357,897,216; + final norm 896.
    expect(decoderParameterCount(qwen2_5_0_5bConfig())).toBe(136_134_656 + 24 * 14_912_384 + 896);
    expect(decoderParameterCount(qwen2_5_0_5bConfig())).toBe(494_032_768);
  });

  it('Llama: no q/k/v biases unless attention_bias (then o_proj too), MLP biases, untied lm_head last', () => {
    const plain = decoderParameterShapes(
      tinyConfig({ family: 'llama', tieWordEmbeddings: false, headDim: 16, numKeyValueHeads: 1 }),
    );
    expect(plain.filter(({ name }) => name.endsWith('.bias'))).toEqual([]);
    expect(plain.find(({ name }) => name === 'model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([64, 32]); // 4 heads × 16
    expect(plain.find(({ name }) => name === 'model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([16, 32]); // 1 KV head
    expect(plain.find(({ name }) => name === 'model.layers.0.self_attn.o_proj.weight')!.shape).toEqual([32, 64]);
    expect(plain.at(-1)).toEqual({ name: 'lm_head.weight', shape: [128, 32] });
    const biased = decoderParameterShapes(
      tinyConfig({
        family: 'llama',
        attentionBias: true,
        attentionOutputBias: true,
        mlpBias: true,
        numHiddenLayers: 1,
      }),
    );
    expect(biased.filter(({ name }) => name.endsWith('.bias'))).toEqual([
      { name: 'model.layers.0.self_attn.q_proj.bias', shape: [32] },
      { name: 'model.layers.0.self_attn.k_proj.bias', shape: [16] },
      { name: 'model.layers.0.self_attn.v_proj.bias', shape: [16] },
      { name: 'model.layers.0.self_attn.o_proj.bias', shape: [32] },
      { name: 'model.layers.0.mlp.gate_proj.bias', shape: [64] },
      { name: 'model.layers.0.mlp.up_proj.bias', shape: [64] },
      { name: 'model.layers.0.mlp.down_proj.bias', shape: [32] },
    ]);
  });

  it('Qwen3-0.6B: q/k norms [headDim] after o_proj (Qwen3Attention order), q_proj 2048 wide, 596,049,920 parameters', () => {
    const shapes = decoderParameterShapes(qwen3_0_6bConfig());
    // 1 embedding + 28 layers × 11 tensors (7 weights, 2 q/k norms, 2 norms) + final norm; lm_head tied; no biases.
    expect(shapes).toHaveLength(1 + 28 * 11 + 1);
    expect(shapes.slice(1, 12)).toEqual([
      { name: 'model.layers.0.self_attn.q_proj.weight', shape: [2048, 1024] },
      { name: 'model.layers.0.self_attn.k_proj.weight', shape: [1024, 1024] },
      { name: 'model.layers.0.self_attn.v_proj.weight', shape: [1024, 1024] },
      { name: 'model.layers.0.self_attn.o_proj.weight', shape: [1024, 2048] },
      { name: 'model.layers.0.self_attn.q_norm.weight', shape: [128] },
      { name: 'model.layers.0.self_attn.k_norm.weight', shape: [128] },
      { name: 'model.layers.0.mlp.gate_proj.weight', shape: [3072, 1024] },
      { name: 'model.layers.0.mlp.up_proj.weight', shape: [3072, 1024] },
      { name: 'model.layers.0.mlp.down_proj.weight', shape: [1024, 3072] },
      { name: 'model.layers.0.input_layernorm.weight', shape: [1024] },
      { name: 'model.layers.0.post_attention_layernorm.weight', shape: [1024] },
    ]);
    // embed 151936·1024 = 155,582,464; per layer 2·2048·1024 + 2·1024² + 3·3072·1024 + 2·128 + 2·1024 = 15,730,944;
    // × 28 = 440,466,432; + final norm 1024 (the published "0.6B", 0.44B without embeddings).
    expect(decoderParameterCount(qwen3_0_6bConfig())).toBe(155_582_464 + 28 * 15_730_944 + 1024);
    expect(decoderParameterCount(qwen3_0_6bConfig())).toBe(596_049_920);
  });
});
