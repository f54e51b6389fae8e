"""Writes src/__fixtures__/worked-values.json: worked tables for the grpo tests, from the rules alone.

Plain Python 3 (no numpy, no torch), float64, written from the formulas in research-paper.md §3–§4:
    /usr/bin/python3 tools/worked-values.py > src/__fixtures__/worked-values.json
"""
import json
import math
import sys


# ---------------------------------------------------------------- advantages
def mean(xs):
    return sum(xs) / len(xs)


def std_unbiased(xs):
    if len(xs) < 2:
        return 0.0
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def advantages(scores, groups, mode, eps):
    out = []
    batch_std = std_unbiased(scores) if len(scores) > 1 else 0.0
    for s, g in zip(scores, groups):
        members = [x for x, h in zip(scores, groups) if h == g]
        verl = mode in ('grpo', 'dr-grpo')
        if len(members) == 1:
            m, sd = (0.0, 1.0) if verl else (members[0], 0.0)
        else:
            m, sd = mean(members), std_unbiased(members)
        if mode == 'trl-batch':
            sd = batch_std
        if mode in ('dr-grpo', 'trl-none'):
            out.append(s - m)
        else:
            out.append((s - m) / (sd + eps))
    return out


advantage_inputs = {
    'scores': [1.0, 0.1, 0.1, 0.0, 0.5, 0.3, 0.7, 0.2, 0.2, 0.2, 0.9],
    'groupIds': ['q1', 'q1', 'q1', 'q1', 'q1', 'q2', 'q2', 'q3', 'q3', 'q3', 'q4'],
}
advantage_tables = []
for mode, eps in [('grpo', 1e-6), ('dr-grpo', 1e-6), ('trl-group', 1e-4), ('trl-batch', 1e-4), ('trl-none', 1e-4)]:
    advantage_tables.append({'mode': mode, 'epsilon': eps,
                             'advantages': advantages(advantage_inputs['scores'], advantage_inputs['groupIds'], mode, eps)})


# ---------------------------------------------------------------- KL estimators (value, d/dlogprob)
def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def k3(logp, ref):
    d = clamp(ref - logp, -20.0, 20.0)
    return clamp(math.exp(d) - d - 1.0, -10.0, 10.0)


def k3_grad(logp, ref):
    d = ref - logp
    if not (-20.0 <= d <= 20.0):
        return 0.0
    k = math.exp(d) - d - 1.0
    if not (-10.0 <= k <= 10.0):
        return 0.0
    return 1.0 - math.exp(d)


estimators = {
    'k1': (lambda lp, rf: lp - rf, lambda lp, rf: 1.0),
    'abs': (lambda lp, rf: abs(lp - rf), lambda lp, rf: (lp > rf) - (lp < rf)),
    'k2': (lambda lp, rf: 0.5 * (lp - rf) ** 2, lambda lp, rf: lp - rf),
    'k3': (k3, k3_grad),
    'k1+': (lambda lp, rf: lp - rf, lambda lp, rf: lp - rf),
    'abs+': (lambda lp, rf: abs(lp - rf), lambda lp, rf: lp - rf),
    'k3+': (k3, lambda lp, rf: lp - rf),
    'k3-unclamped': (lambda lp, rf: math.exp(rf - lp) - (rf - lp) - 1.0, lambda lp, rf: 1.0 - math.exp(rf - lp)),
}
# (logprob, ref): ref − logprob = d spans the clamps: k3 clamps to 10 for d ≳ 2.53 and d ≲ −11.0.
kl_points = [(-1.0, -1.0), (-1.0, -1.5), (-2.0, -1.2), (-0.5, 1.5), (-1.0, 2.0), (-3.0, -0.4), (-0.2, -11.0),
             (-0.2, -12.5), (-5.0, 20.0), (-1.0, 21.0), (-1.0, -23.0), (-30.0, -2.0)]
kl_table = {name: [{'logprob': lp, 'ref': rf, 'value': f(lp, rf), 'gradient': g(lp, rf)} for lp, rf in kl_points]
            for name, (f, g) in estimators.items() if name != 'k3-unclamped'}
kl_table['k3-unclamped'] = [{'logprob': lp, 'ref': rf, 'value': estimators['k3-unclamped'][0](lp, rf),
                             'gradient': estimators['k3-unclamped'][1](lp, rf)} for lp, rf in kl_points if abs(rf - lp) < 30]

# ---------------------------------------------------------------- aggregation
L = [[0.5, -1.0, 2.0, 0.25], [1.5, 3.0, -0.5, 7.0], [4.0, 4.0, 4.0, 4.0], [-2.0, 0.5, 1.0, 0.0]]
M = [[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
T = 4
n = [sum(r) for r in M]
seq_sum = [sum(l * m for l, m in zip(lr, mr)) for lr, mr in zip(L, M)]
N = sum(n)
S = sum(1 for x in n if x > 0)
B = len(L)
aggregation_table = [
    {'aggregation': {'mode': 'token-mean'}, 'value': sum(seq_sum) / N},
    {'aggregation': {'mode': 'token-mean', 'globalTokenCount': 40, 'dataParallelSize': 4}, 'value': sum(seq_sum) / 40 * 4},
    {'aggregation': {'mode': 'seq-mean-token-sum'}, 'value': sum(seq_sum) / S},
    {'aggregation': {'mode': 'seq-mean-token-sum', 'globalBatchSize': 12, 'dataParallelSize': 2}, 'value': sum(seq_sum) / 12 * 2},
    {'aggregation': {'mode': 'seq-mean-token-mean'}, 'value': sum(s / (c + 1e-8) for s, c in zip(seq_sum, n) if c > 0) / S},
    {'aggregation': {'mode': 'seq-mean-token-sum-norm'}, 'value': sum(seq_sum) / T},
    {'aggregation': {'mode': 'seq-mean-token-sum-norm', 'lossScaleFactor': 8192}, 'value': sum(seq_sum) / 8192},
    {'aggregation': {'mode': 'trl-grpo'}, 'value': sum(s / max(1, c) for s, c in zip(seq_sum, n)) / B},
    {'aggregation': {'mode': 'trl-bnpo'}, 'value': sum(seq_sum) / max(1, N)},
    {'aggregation': {'mode': 'trl-dr-grpo', 'maxCompletionLength': 16}, 'value': sum(seq_sum) / (B * 16)},
    {'aggregation': {'mode': 'trl-dapo', 'globalTokenCount': 30, 'processCount': 3}, 'value': sum(seq_sum) / (30 / 3)},
]


# ---------------------------------------------------------------- clipped surrogate, dual clip (per token, weight 1)
def surrogate(adv, log_ratio, lo=0.2, hi=0.2, c=None):
    r = math.exp(clamp(log_ratio, -20.0, 20.0))
    rc = clamp(r, 1 - lo, 1 + hi)
    l1, l2 = -adv * r, -adv * rc
    if l1 > l2:
        value, d_ratio = l1, -adv
    elif l1 < l2:
        value, d_ratio = l2, 0.0
    else:
        value, d_ratio = l1, (-adv if 1 - lo <= r <= 1 + hi else -0.5 * adv)
    lower = False
    if c is not None and adv < 0:
        l3 = -adv * c
        if value > l3:
            value, d_ratio, lower = l3, 0.0, True
        elif value == l3:
            d_ratio *= 0.5
    gradient = d_ratio * r if -20.0 <= log_ratio <= 20.0 else 0.0
    return {'advantage': adv, 'logRatio': log_ratio, 'dualClip': c, 'value': value, 'gradient': gradient,
            'clipped': l2 > l1, 'clippedLower': lower}


surrogate_table = [surrogate(a, lr, c=c) for a, lr, c in [
    (1.0, 0.0, None), (1.0, 0.1, None), (1.0, 0.3, None), (1.0, -0.3, None), (-1.0, 0.3, None), (-1.0, -0.3, None),
    (-1.0, 1.5, None), (-1.0, 1.5, 3.0), (-1.0, 0.9, 3.0), (-2.0, math.log(5.0), 3.0), (2.0, 3.0, 3.0), (0.0, 0.5, 3.0),
    (-1.0, 20.0, None), (-1.0, 20.5, None), (-1.0, 20.0, 3.0), (0.5, -25.0, None),
]]

# ---------------------------------------------------------------- AdamW, two steps by hand
lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-8, 0.01
p, m, v = 1.0, 0.0, 0.0
adamw_steps = []
for t, g in [(1, 0.5), (2, -0.25)]:
    p = p * (1 - lr * wd)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat_sqrt = math.sqrt(v) / math.sqrt(1 - b2 ** t)
    p = p - lr * m_hat / (v_hat_sqrt + eps)
    adamw_steps.append({'step': t, 'gradient': g, 'parameter': p, 'expAvg': m, 'expAvgSq': v})

# ---------------------------------------------------------------- verl cosine with a floor
cosine = {'schedule': {'kind': 'cosine', 'warmupSteps': 2, 'totalSteps': 10, 'minLearningRateRatio': 0.1}, 'factors': []}
for step in range(12):
    if step < 2:
        f = 0.1 + 0.9 * step / 2
    else:
        progress = (step - 2) / 8
        f = max(0.1, math.cos(math.pi * 0.5 * 2 * progress) * 0.45 + 0.55)
    cosine['factors'].append(f)

json.dump({
    'generatedBy': 'tools/worked-values.py',
    'advantages': {**advantage_inputs, 'tables': advantage_tables},
    'kl': kl_table,
    'aggregation': {'losses': L, 'mask': M, 'responseLength': T, 'table': aggregation_table},
    'surrogate': surrogate_table,
    'adamw': {'lr': lr, 'betas': [b1, b2], 'eps': eps, 'weightDecay': wd, 'initial': 1.0, 'steps': adamw_steps},
    'cosineWithFloor': cosine,
}, sys.stdout, indent=1)
print()
