#!/usr/bin/python3
"""LoRA reference in float64, independent of our graphs: reads a base model directory and a PEFT adapter
directory (adapter_config.json + adapter_model.safetensors), merges each adapted projection as
W' = W + s * B @ A (s = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora), runs the pure-PyTorch decoder
of qwen2_reference.py on the merged weights, and records logprobs, entropies and the gradients of
L = sum(grad_logprobs * logprobs) + sum(grad_entropies * entropies) with respect to every lora_A / lora_B
(autograd through the merge; the base weights are constants).

Run from packages/policy-onnx:
  /usr/bin/python3 tools/reference/lora_reference.py src/__fixtures__/tiny-qwen2-reference src/__fixtures__/tiny-qwen2-lora-reference src/__fixtures__/tiny-qwen2-lora-reference.json
  /usr/bin/python3 tools/reference/lora_reference.py src/__fixtures__/tiny-llama3-reference src/__fixtures__/tiny-llama3-lora-reference src/__fixtures__/tiny-llama3-lora-reference.json
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen2_reference import forward, read_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)
PREFIX = 'base_model.model.'


def main():
    base_directory, adapter_directory, output = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(f'{base_directory}/config.json') as handle:
        config = json.load(handle)
    with open(f'{adapter_directory}/adapter_config.json') as handle:
        adapter_config = json.load(handle)
    base = {name: tensor.detach() for name, tensor in read_safetensors(f'{base_directory}/model.safetensors').items()}
    adapters = read_safetensors(f'{adapter_directory}/adapter_model.safetensors')
    r = adapter_config['r']
    scale = adapter_config['lora_alpha'] / (math.sqrt(r) if adapter_config.get('use_rslora') else r)
    merged = dict(base)
    for name in adapters:
        if '.lora_A.weight' not in name:
            continue
        module = name[len(PREFIX):-len('.lora_A.weight')]
        a, b = adapters[name], adapters[f'{PREFIX}{module}.lora_B.weight']
        merged[f'{module}.weight'] = base[f'{module}.weight'] + scale * (b @ a)
    generator = torch.Generator().manual_seed(13)
    vocab = config['vocab_size']
    input_ids = torch.randint(0, vocab, (2, 7), generator=generator)
    attention_mask = torch.ones(2, 7, dtype=torch.int64)
    attention_mask[1, 5:] = 0
    input_ids[1, 5:] = 0
    logits = forward(merged, config, input_ids, attention_mask)
    log_probs = torch.log_softmax(logits[:, :-1], dim=-1)
    token_logprobs = log_probs.gather(-1, input_ids[:, 1:, None])[..., 0]
    entropies = -(log_probs.exp() * log_probs).sum(-1)
    valid = attention_mask[:, 1:].to(torch.float64)
    grad_logprobs = torch.randn(2, 6, generator=generator) * valid
    grad_entropies = torch.randn(2, 6, generator=generator) * valid
    loss = (grad_logprobs * token_logprobs).sum() + (grad_entropies * entropies).sum()
    loss.backward()
    rounded = lambda tensor: [float(f'{value:.9g}') for value in tensor.detach().reshape(-1).tolist()]
    fixture = {
        'generator': 'tools/reference/lora_reference.py (PyTorch ' + torch.__version__ + ', float64, merged W + s*B@A)',
        'scale': scale,
        'inputIds': input_ids.reshape(-1).tolist(),
        'attentionMask': attention_mask.reshape(-1).tolist(),
        'batch': 2,
        'sequence': 7,
        'logprobs': rounded(token_logprobs * valid),
        'entropies': rounded(entropies * valid),
        'gradLogprobs': rounded(grad_logprobs),
        'gradEntropies': rounded(grad_entropies),
        'gradients': {name[len(PREFIX):]: rounded(tensor.grad) for name, tensor in adapters.items()},
    }
    with open(output, 'w') as handle:
        json.dump(fixture, handle, separators=(',', ':'))
        handle.write('\n')
    print('wrote', output, 'scale', scale)


if __name__ == '__main__':
    main()
