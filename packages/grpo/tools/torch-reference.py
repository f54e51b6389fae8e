"""Writes src/__fixtures__/torch-reference.json: PyTorch-computed reference values for the grpo tests.

Run with a python3 that has torch (and, for the schedules, transformers):
    python3 tools/torch-reference.py > src/__fixtures__/torch-reference.json

The losses below are written from the formulas in research-paper.md §3 and §4 (verl core_algos /
dp_actor, TRL GRPOTrainer) and differentiated by autograd in float64, so the fixture records what
autograd gives at clamps and ties. Inputs are drawn from random.Random(seed) and stored in the file.

The committed fixture was produced with torch 2.11.0 and transformers 5.17.0 (Python 3.12) on an x86-64
machine, CPU tensors. The AdamW runs use float32 CPU kernels, whose lerp_/addcmul_ are fused
multiply-adds there; the TypeScript AdamW reproduces them bit for bit, so regenerating the fixture on a
CPU whose kernels round differently may move the last bit of a few values.
"""
import json
import math
import random
import sys

import torch

torch.set_default_dtype(torch.float64)
rng = random.Random(20250326)

# ---------------------------------------------------------------- batch
B, T = 6, 7
mask = [[1] * 7, [1] * 5 + [0] * 2, [0] * 7, [1, 1, 0, 0, 1, 1, 1], [1] * 3 + [0] * 4, [1] * 7]
seq_adv = [1.25, -0.8, 0.4, -1.5, 0.0, -2.0]
logp = [[-abs(rng.gauss(1.5, 1.0)) - 0.05 for _ in range(T)] for _ in range(B)]
log_ratio = [[rng.uniform(-0.45, 0.45) for _ in range(T)] for _ in range(B)]
# Special tokens: exact on-policy (ratio 1, a max tie), log ratio exactly 20 (clamp boundary, passes),
# 20.5 and -21 (clamped, no gradient), a ratio beyond the dual clip c=3 with A<0, and one below 1/3.
log_ratio[0][0] = 0.0
log_ratio[3][0] = 20.0
log_ratio[3][1] = 20.5
log_ratio[3][4] = -21.0
log_ratio[5][2] = 1.5       # ratio e^1.5 ≈ 4.48 > 3, A < 0: dual clip caps it
log_ratio[5][3] = 0.9       # ratio ≈ 2.46 < 3, A < 0: unclipped
log_ratio[1][1] = -1.3      # ratio ≈ 0.27 < 1 − ε, A < 0: clipped (flat)
old = [[logp[i][t] - log_ratio[i][t] for t in range(T)] for i in range(B)]
ref_delta = [[rng.uniform(-0.6, 0.6) for _ in range(T)] for _ in range(B)]
ref_delta[0][1] = 3.0    # k3 = e^3 − 4 ≈ 16.1 > 10: clamped
ref_delta[0][2] = -12.5  # k3 = e^-12.5 + 11.5 > 10: clamped
ref_delta[0][3] = 25.0   # beyond the ±20 pre-clamp
ref_delta[0][4] = -25.0
ref_delta[0][5] = 0.0    # abs at 0: gradient 0
ref = [[logp[i][t] + ref_delta[i][t] for t in range(T)] for i in range(B)]
entropies = [[rng.uniform(0.05, 3.0) for _ in range(T)] for _ in range(B)]


def tensor(rows):
    return torch.tensor(rows, dtype=torch.float64)


def agg(loss_mat, m, aggregation):
    mode = aggregation['mode']
    dp = aggregation.get('dataParallelSize', 1)
    n = m.sum(-1)
    nonempty = (n > 0).double()
    seq_sum = (loss_mat * m).sum(-1)
    if mode == 'token-mean':
        tokens = aggregation.get('globalTokenCount', m.sum().item())
        return (loss_mat * m).sum() / tokens * dp
    if mode == 'seq-mean-token-sum':
        seqs = aggregation.get('globalBatchSize', nonempty.sum().item())
        return (seq_sum * nonempty).sum() / seqs * dp
    if mode == 'seq-mean-token-mean':
        seqs = aggregation.get('globalBatchSize', nonempty.sum().item())
        return (seq_sum / (n + 1e-8) * nonempty).sum() / seqs * dp
    if mode == 'seq-mean-token-sum-norm':
        return seq_sum.sum() / aggregation.get('lossScaleFactor', m.shape[-1])
    if mode == 'trl-grpo':
        return (seq_sum / n.clamp(min=1.0)).mean()
    if mode == 'trl-bnpo':
        return (loss_mat * m).sum() / m.sum().clamp(min=1.0)
    if mode == 'trl-dr-grpo':
        return (loss_mat * m).sum() / (m.shape[0] * aggregation['maxCompletionLength'])
    if mode == 'trl-dapo':
        return (loss_mat * m).sum() / (aggregation['globalTokenCount'] / aggregation.get('processCount', 1))
    raise ValueError(mode)


def kl_values(lp, rf, estimator):
    base = estimator[:-1] if estimator.endswith('+') else estimator
    if base == 'k1':
        forward = lp - rf
    elif base == 'abs':
        forward = (lp - rf).abs()
    elif base == 'k2':
        forward = 0.5 * (lp - rf).square()
    elif base == 'k3':
        d = torch.clamp(rf - lp, min=-20, max=20)
        forward = torch.clamp(torch.exp(d) - d - 1, min=-10, max=10)
    elif base == 'k3-unclamped':
        d = rf - lp
        forward = torch.exp(d) - d - 1
    else:
        raise ValueError(estimator)
    if not estimator.endswith('+'):
        return forward
    backward = 0.5 * (lp - rf).square()
    return backward - backward.detach() + forward.detach()


def actor_loss(case):
    m = tensor(mask)
    lp = tensor(logp).requires_grad_(True)
    ent = tensor(entropies).requires_grad_(True)
    adv = tensor(seq_adv)[:, None].expand(B, T)
    lr_raw = lp - tensor(old)
    clamp = case['logRatioClamp']
    lr_clamped = lr_raw if clamp is None else torch.clamp(lr_raw, -clamp, clamp)
    ratio = torch.exp(lr_clamped)
    if case['style'] == 'trl':
        # TRL: per_token_loss = -min(coef_1 * A, coef_2 * A)
        coef_2 = torch.clamp(ratio, 1 - case['clipLow'], 1 + case['clipHigh'])
        pg = -torch.min(ratio * adv, coef_2 * adv)
        l1, l2 = -adv * ratio, -adv * coef_2
    else:
        l1 = -adv * ratio
        l2 = -adv * torch.clamp(ratio, 1 - case['clipLow'], 1 + case['clipHigh'])
        pg = torch.maximum(l1, l2)
    lower = torch.zeros_like(pg, dtype=torch.bool)
    if case['dualClip'] is not None:
        l3 = -adv * case['dualClip']
        lower = (pg > l3) & (adv < 0)
        pg = torch.where(adv < 0, torch.min(l3, pg), pg)
    aggregation = case['aggregation']
    pg_loss = agg(pg, m, aggregation)
    kl = kl_values(lp, tensor(ref), case['klEstimator'])
    kl_loss = agg(kl, m, aggregation)
    ent_loss = agg(ent, m, aggregation)
    loss = pg_loss - case['entropyCoefficient'] * ent_loss + case['klCoefficient'] * kl_loss
    loss.backward()
    count = m.sum()
    return {
        **case,
        'loss': loss.item(),
        'pgLoss': pg_loss.item(),
        'klLoss': kl_loss.item(),
        'entropy': ent_loss.item(),
        'pgClipFrac': ((l2 > l1).double() * m).sum().item() / count.item(),
        'pgClipFracLower': (lower.double() * m).sum().item() / count.item(),
        'ppoKl': (-lr_clamped.detach() * m).sum().item() / count.item(),
        'gradLogprobs': [x for row in lp.grad.tolist() for x in row],
        'gradEntropies': [x for row in ent.grad.tolist() for x in row],
    }


aggregations = [
    {'mode': 'token-mean'},
    {'mode': 'token-mean', 'globalTokenCount': 96, 'dataParallelSize': 4},
    {'mode': 'seq-mean-token-sum'},
    {'mode': 'seq-mean-token-sum', 'globalBatchSize': 16, 'dataParallelSize': 2},
    {'mode': 'seq-mean-token-mean'},
    {'mode': 'seq-mean-token-sum-norm'},
    {'mode': 'seq-mean-token-sum-norm', 'lossScaleFactor': 4096},
    {'mode': 'trl-grpo'},
    {'mode': 'trl-bnpo'},
    {'mode': 'trl-dr-grpo', 'maxCompletionLength': 512},
    {'mode': 'trl-dapo', 'globalTokenCount': 200, 'processCount': 2},
]
estimators = ['k1', 'abs', 'k2', 'k3', 'k1+', 'abs+', 'k3+', 'k3-unclamped']
cases = []
for a_index, aggregation in enumerate(aggregations):
    for e_index, estimator in enumerate(estimators):
        style = 'trl' if aggregation['mode'].startswith('trl') and e_index % 2 == 0 else 'verl'
        cases.append({
            'aggregation': aggregation,
            'klEstimator': estimator,
            'style': style,
            'dualClip': 3.0 if (a_index + e_index) % 2 == 0 and style == 'verl' else None,
            'clipLow': 0.2,
            'clipHigh': 0.28 if e_index % 3 == 0 else 0.2,
            'logRatioClamp': None if style == 'trl' else 20.0,
            'klCoefficient': 0.001 if e_index % 2 == 0 else 0.05,
            'entropyCoefficient': 0.001 if a_index % 2 == 0 else 0.01,
        })

losses = {
    'batch': B,
    'responseLength': T,
    'logprobs': [x for row in logp for x in row],
    'oldLogprobs': [x for row in old for x in row],
    'refLogprobs': [x for row in ref for x in row],
    'entropies': [x for row in entropies for x in row],
    'mask': [x for row in mask for x in row],
    'advantages': seq_adv,
    'cases': [actor_loss(case) for case in cases],
}

# ---------------------------------------------------------------- AdamW
def draw(n, scale):
    return [rng.uniform(-scale, scale) for _ in range(n)]


def f32(values):
    return torch.tensor(values, dtype=torch.float32).tolist()


adamw_runs = []
for config in [
    {'lr': 1e-3, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weightDecay': 0.01, 'steps': 6},
    {'lr': 1e-6, 'betas': [0.9, 0.999], 'eps': 1e-8, 'weightDecay': 0.01, 'steps': 4},
    {'lr': 0.05, 'betas': [0.8, 0.95], 'eps': 1e-6, 'weightDecay': 0.1, 'steps': 5},
]:
    initial = {'a': f32(draw(9, 1.0)), 'b': f32(draw(4, 0.1))}
    gradients = []
    for step in range(config['steps']):
        g = {'a': f32(draw(9, 2.0))}
        if step != 2:  # parameter b gets no gradient at step 3: PyTorch skips it
            g['b'] = f32(draw(4, 0.02))
        gradients.append(g)
    params = {name: torch.tensor(values, dtype=torch.float32, requires_grad=True) for name, values in initial.items()}
    optimizer = torch.optim.AdamW(
        [{'params': [params['a']]}, {'params': [params['b']], 'weight_decay': 0.0}],
        lr=config['lr'], betas=tuple(config['betas']), eps=config['eps'], weight_decay=config['weightDecay'], foreach=False,
    )
    after = []
    for g in gradients:
        for name, p in params.items():
            p.grad = torch.tensor(g[name], dtype=torch.float32) if name in g else None
        optimizer.step()
        after.append({name: p.detach().tolist() for name, p in params.items()})
    state = {name: {
        'step': float(optimizer.state[p]['step']),
        'expAvg': optimizer.state[p]['exp_avg'].tolist(),
        'expAvgSq': optimizer.state[p]['exp_avg_sq'].tolist(),
    } for name, p in params.items()}
    adamw_runs.append({**config, 'initial': initial, 'parameterWeightDecay': {'b': 0.0},
                       'gradients': gradients, 'after': after, 'finalState': state})

# ---------------------------------------------------------------- clip_grad_norm_
clip_cases = []
for max_norm, scale in [(1.0, 3.0), (1.0, 0.05), (0.5, 1.0)]:
    grads = [f32(draw(n, scale)) for n in (5, 3, 8)]
    tensors = [torch.zeros(len(g), dtype=torch.float32, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float32)
    total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    clip_cases.append({'maxNorm': max_norm, 'gradients': grads, 'totalNorm': total.item(),
                       'clipped': [t.grad.tolist() for t in tensors]})

# ---------------------------------------------------------------- schedules (transformers)
schedules = []
try:
    import transformers

    def record(make, schedule, steps):
        p = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([p], lr=1.0)
        scheduler = make(optimizer)
        factors = []
        for _ in range(steps):
            factors.append(optimizer.param_groups[0]['lr'])
            optimizer.step()
            scheduler.step()
        schedules.append({'schedule': schedule, 'factors': factors})

    record(lambda o: transformers.get_constant_schedule_with_warmup(o, 0), {'kind': 'constant'}, 4)
    record(lambda o: transformers.get_constant_schedule_with_warmup(o, 3), {'kind': 'constant', 'warmupSteps': 3}, 6)
    record(lambda o: transformers.get_linear_schedule_with_warmup(o, 2, 10), {'kind': 'linear', 'warmupSteps': 2, 'totalSteps': 10}, 12)
    record(lambda o: transformers.get_cosine_schedule_with_warmup(o, 3, 12), {'kind': 'cosine', 'warmupSteps': 3, 'totalSteps': 12}, 14)
    record(lambda o: transformers.get_cosine_schedule_with_warmup(o, 0, 8, num_cycles=1.0), {'kind': 'cosine', 'totalSteps': 8, 'cycles': 1.0}, 9)
    transformers_version = transformers.__version__
except Exception as error:  # no transformers, or an API change: record why and keep the rest
    transformers_version = f'unavailable: {error!r}'

# ---------------------------------------------------------------- advantages as verl computes them (float32)
scores = torch.tensor([1.0, 0.1, 0.1, 0.0, 0.5], dtype=torch.float32)
verl_float32 = ((scores - scores.mean()) / (torch.std(scores) + 1e-6)).tolist()

json.dump({
    'generatedBy': 'tools/torch-reference.py',
    'torch': torch.__version__,
    'transformers': transformers_version,
    'python': sys.version.split()[0],
    'losses': losses,
    'adamw': adamw_runs,
    'clipGradNorm': clip_cases,
    'schedules': schedules,
    'verlAdvantageFloat32': {'scores': [1.0, 0.1, 0.1, 0.0, 0.5], 'advantages': verl_float32},
}, sys.stdout, indent=1)
print()
