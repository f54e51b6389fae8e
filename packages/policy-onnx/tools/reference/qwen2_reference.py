#!/usr/bin/python3
"""Pure-PyTorch Qwen2 / Qwen3 / Llama reference (no transformers): the formulas of transformers'
modeling_qwen2.py, modeling_qwen3.py and modeling_llama.py in eager mode, in float64. The family comes
from config.json's model_type: Qwen3 adds q_norm/k_norm (RMSNorm over head_dim per head, after the
projection and its bias, before RoPE) and biases q/k/v/o together (attention_bias), as Llama does; Llama
adds mlp_bias and the llama3 RoPE scaling (_compute_llama3_parameters). Reads the model directory our TypeScript code wrote (config.json +
model.safetensors, parsed here with the standard library), runs a fixed batch, and writes a JSON
fixture with logits, per-token logprobs, entropies and the gradients of
L = sum(grad_logprobs * logprobs) + sum(grad_entropies * entropies) with respect to every parameter.

Run from packages/policy-onnx:
  /usr/bin/python3 tools/reference/qwen2_reference.py src/__fixtures__/tiny-qwen2-reference src/__fixtures__/tiny-qwen2-reference.json
  /usr/bin/python3 tools/reference/qwen2_reference.py src/__fixtures__/tiny-qwen3-reference src/__fixtures__/tiny-qwen3-reference.json
  /usr/bin/python3 tools/reference/qwen2_reference.py src/__fixtures__/tiny-llama3-reference src/__fixtures__/tiny-llama3-reference.json
"""
import math
import json
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    with open(path, 'rb') as handle:
        raw = handle.read()
    (header_length,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + header_length])
    base = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        assert entry['dtype'] == 'F32', entry['dtype']
        start, end = entry['data_offsets']
        values = torch.frombuffer(bytearray(raw[base + start:base + end]), dtype=torch.float32)
        tensors[name] = values.reshape(entry['shape']).to(torch.float64).clone().requires_grad_(True)
    return tensors


def rms_norm(x, weight, eps):
    # Qwen2RMSNorm: variance in float32 (float64 here), normalise, then multiply by the weight.
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x, groups):
    batch, kv_heads, length, head_dim = x.shape
    if groups == 1:
        return x
    return x[:, :, None, :, :].expand(batch, kv_heads, groups, length, head_dim).reshape(batch, kv_heads * groups, length, head_dim)


def linear(x, params, name, bias):
    y = x @ params[name + '.weight'].T
    return y + params[name + '.bias'] if bias else y


def inverse_frequencies(config, head_dim):
    inv_freq = 1.0 / (config['rope_theta'] ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(torch.float64) / head_dim))
    scaling = config.get('rope_scaling')
    if not scaling:
        return inv_freq
    kind = scaling.get('rope_type', scaling.get('type'))
    if kind == 'linear':
        return inv_freq / scaling['factor']
    assert kind == 'llama3', kind
    factor, low, high = scaling['factor'], scaling['low_freq_factor'], scaling['high_freq_factor']
    old_context = scaling['original_max_position_embeddings']
    low_wavelen, high_wavelen = old_context / low, old_context / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, scaled)


def forward(params, config, input_ids, attention_mask):
    hidden_size = config['hidden_size']
    heads = config['num_attention_heads']
    kv_heads = config['num_key_value_heads']
    head_dim = config.get('head_dim') or hidden_size // heads
    eps = config['rms_norm_eps']
    batch, length = input_ids.shape
    family = config['model_type']
    qkv_bias = family == 'qwen2' or config.get('attention_bias', False)
    o_bias = family != 'qwen2' and config.get('attention_bias', False)
    mlp_bias = family == 'llama' and config.get('mlp_bias', False)
    inv_freq = inverse_frequencies(config, head_dim)
    positions = torch.arange(length, dtype=torch.float64)
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    causal = torch.tril(torch.ones(length, length, dtype=torch.bool))
    allowed = causal[None, None] & attention_mask.bool()[:, None, None, :]
    bias = torch.zeros(batch, 1, length, length).masked_fill(~allowed, torch.finfo(torch.float64).min)

    h = params['model.embed_tokens.weight'][input_ids]
    for layer in range(config['num_hidden_layers']):
        p = f'model.layers.{layer}.'
        x = rms_norm(h, params[p + 'input_layernorm.weight'], eps)
        q = linear(x, params, p + 'self_attn.q_proj', qkv_bias).view(batch, length, heads, head_dim)
        k = linear(x, params, p + 'self_attn.k_proj', qkv_bias).view(batch, length, kv_heads, head_dim)
        if family == 'qwen3':  # Qwen3Attention: q_norm / k_norm over head_dim, per head, before the transpose and RoPE
            q = rms_norm(q, params[p + 'self_attn.q_norm.weight'], eps)
            k = rms_norm(k, params[p + 'self_attn.k_norm.weight'], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = linear(x, params, p + 'self_attn.v_proj', qkv_bias).view(batch, length, kv_heads, head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, heads // kv_heads)
        v = repeat_kv(v, heads // kv_heads)
        weights = torch.matmul(q, k.transpose(2, 3)) * head_dim ** -0.5 + bias
        weights = torch.softmax(weights, dim=-1)
        attended = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, heads * head_dim)
        h = h + linear(attended, params, p + 'self_attn.o_proj', o_bias)
        x = rms_norm(h, params[p + 'post_attention_layernorm.weight'], eps)
        gate = linear(x, params, p + 'mlp.gate_proj', mlp_bias)
        up = linear(x, params, p + 'mlp.up_proj', mlp_bias)
        h = h + linear(torch.nn.functional.silu(gate) * up, params, p + 'mlp.down_proj', mlp_bias)
    h = rms_norm(h, params['model.norm.weight'], eps)
    head = params['model.embed_tokens.weight'] if config['tie_word_embeddings'] else params['lm_head.weight']
    return h @ head.T


def main():
    directory, output = sys.argv[1], sys.argv[2]
    with open(f'{directory}/config.json') as handle:
        config = json.load(handle)
    params = read_safetensors(f'{directory}/model.safetensors')
    vocab = config['vocab_size']
    generator = torch.Generator().manual_seed(11)
    input_ids = torch.randint(0, vocab, (2, 7), generator=generator)
    attention_mask = torch.ones(2, 7, dtype=torch.int64)
    attention_mask[1, 5:] = 0  # right padding
    input_ids[1, 5:] = 0
    logits = forward(params, config, input_ids, attention_mask)
    log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
    token_logprobs = log_probs.gather(-1, input_ids[:, 1:, None])[..., 0]
    entropies = -(log_probs.exp() * log_probs).sum(-1)
    valid = attention_mask[:, 1:].to(torch.float64)
    grad_logprobs = torch.randn(2, 6, generator=generator) * valid
    grad_entropies = torch.randn(2, 6, generator=generator) * valid
    loss = (grad_logprobs * token_logprobs).sum() + (grad_entropies * entropies).sum()
    loss.backward()
    rounded = lambda tensor: [float(f'{value:.7g}') for value in tensor.detach().reshape(-1).tolist()]
    fixture = {
        'generator': 'tools/reference/qwen2_reference.py (PyTorch ' + torch.__version__ + ', float64, ' + config['model_type'] + ')',
        'inputIds': input_ids.reshape(-1).tolist(),
        'attentionMask': attention_mask.reshape(-1).tolist(),
        'batch': 2,
        'sequence': 7,
        'logits': rounded(logits),
        'logprobs': rounded(token_logprobs),
        'entropies': rounded(entropies),
        'gradLogprobs': rounded(grad_logprobs),
        'gradEntropies': rounded(grad_entropies),
        'loss': float(loss),
        'gradients': {name: rounded(tensor.grad) for name, tensor in params.items()},
    }
    with open(output, 'w') as handle:
        json.dump(fixture, handle, separators=(',', ':'))
        handle.write('\n')
    print('wrote', output)


if __name__ == '__main__':
    main()
