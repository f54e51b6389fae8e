"""Loads each model directory written by write-hf-compat-models.ts with Hugging Face transformers
(AutoModelForCausalLM, float32, eager attention) and compares its next-token logprobs and entropies with
the ones our ONNX training graph computed. Prints one line per model and exits 1 on a mismatch."""
import json
import sys
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM

root = Path(sys.argv[1] if len(sys.argv) > 1 else '.hfcheck')
print(f'transformers {transformers.__version__}, torch {torch.__version__}')
failed = False
for directory in sorted(p for p in root.iterdir() if (p / 'config.json').exists()):
    expected = json.loads((directory / 'expected.json').read_text())
    model = AutoModelForCausalLM.from_pretrained(directory, torch_dtype=torch.float32, attn_implementation='eager')
    model.eval()
    b, s = expected['batch'], expected['seq']
    ids = torch.tensor(expected['inputIds']).view(b, s)
    mask = torch.tensor(expected['attentionMask']).view(b, s)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits.double()
    logp = torch.log_softmax(logits, dim=-1)
    token_logp = logp[:, :-1].gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)[:, :-1]
    valid = mask[:, 1:].bool()
    ours_logp = torch.tensor(expected['logprobs'], dtype=torch.float64).view(b, s - 1)
    ours_entropy = torch.tensor(expected['entropies'], dtype=torch.float64).view(b, s - 1)
    d_logp = (token_logp - ours_logp)[valid].abs().max().item()
    d_entropy = (entropy - ours_entropy)[valid].abs().max().item()
    ok = d_logp < 1e-4 and d_entropy < 1e-4
    failed |= not ok
    print(f'{directory.name}: {type(model).__name__} loaded; max |Δ logprob| {d_logp:.2e}, max |Δ entropy| {d_entropy:.2e} -> {"OK" if ok else "MISMATCH"}')
sys.exit(1 if failed else 0)
