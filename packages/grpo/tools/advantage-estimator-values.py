"""Writes src/__fixtures__/advantage-estimators.json: worked tables for the estimators beside GRPO.

Plain Python 3 (no numpy, no torch), float64, written from the estimators' formulas as verl's
core_algos.py states them (read at volcengine/verl 012be9d9dcb7c38499f23616142870d2682757fc) and its
masked_whiten (verl/utils/torch_functional.py, read at 33ddc71428da6e945cee80f6020dac4b59cb9c63):
    /usr/bin/python3 tools/advantage-estimator-values.py > src/__fixtures__/advantage-estimators.json

Sums use math.fsum (correctly rounded), the leave-one-out baseline is taken literally (the mean of the
other samples), so the script does not share the TypeScript's arithmetic.
"""
import json
import math
import struct
import sys


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def plus_tiny(x):
    """x + 1e-8 where verl evaluates it in float32: the 1e-8 is lost when under half a float32 ulp of x."""
    return x if f32(f32(x) + 1e-8) == f32(x) else x + 1e-8


def groups_of(ids):
    out = {}
    for i, g in enumerate(ids):
        out.setdefault(g, []).append(i)
    return out


def rows(flat, width):
    return [flat[k:k + width] for k in range(0, len(flat), width)]


# ---------------------------------------------------------------- per-sequence estimators
def rloo(scores, ids):
    out = list(scores)
    for members in groups_of(ids).values():
        n = len(members)
        if n == 1:
            continue  # a group of one keeps its raw score
        for i in members:
            others = [scores[j] for j in members if j != i]
            out[i] = scores[i] - math.fsum(others) / (n - 1)
    return out


def opo(scores, ids, mask, width):
    lengths = [math.fsum(r) for r in rows(mask, width)]
    out = list(scores)
    for members in groups_of(ids).values():
        if len(members) == 1:
            continue  # baseline 0
        baseline = math.fsum(lengths[i] * scores[i] for i in members) / math.fsum(lengths[i] for i in members)
        for i in members:
            out[i] = scores[i] - baseline
    return out


def gpg(scores, ids, f_norm):
    batch = len(scores)
    alpha = batch / max(sum(1 for s in scores if s != 0), 1)
    out = [0.0] * batch
    for members in groups_of(ids).values():
        mean = 0.0 if len(members) == 1 else math.fsum(scores[i] for i in members) / len(members)
        for i in members:
            out[i] = alpha * (scores[i] - mean) / f_norm
    return out


def spread(per_sample, mask, width):
    return [0.0 if m == 0 else per_sample[k // width] * m for k, m in enumerate(mask)]


# ---------------------------------------------------------------- whitening and the per-token estimators
def masked_whiten_times_mask(values, mask):
    """((v − mean) / sqrt(var + 1e-8)) · m over every masked token of the batch; var unbiased (n / (n − 1))."""
    n = math.fsum(mask)
    kept = [(v, m) for v, m in zip(values, mask) if m != 0]
    mean = math.fsum(v * m for v, m in kept) / plus_tiny(n)
    var = math.fsum(m * (v - mean) ** 2 for v, m in kept) / plus_tiny(n) * (n / (n - 1))
    return [0.0 if m == 0 else (v - mean) / math.sqrt(plus_tiny(var)) * m for v, m in zip(values, mask)]


def reinforce_pp(rewards, mask, width, gamma):
    returns = [0.0] * len(rewards)
    for start in range(0, len(rewards), width):
        carry = 0.0
        for t in reversed(range(start, start + width)):
            carry = rewards[t] + gamma * carry
            returns[t] = carry
            carry *= mask[t]  # a masked token cuts the sum: earlier tokens do not see what follows
    return masked_whiten_times_mask(returns, mask), returns


def reinforce_pp_baseline(scores, ids, mask, width):
    centred = list(scores)
    for members in groups_of(ids).values():
        if len(members) == 1:
            continue  # mean 0
        mean = math.fsum(scores[i] for i in members) / len(members)
        for i in members:
            centred[i] = scores[i] - mean
    tiled = [centred[k // width] * m for k, m in enumerate(mask)]
    return masked_whiten_times_mask(tiled, mask)


# ---------------------------------------------------------------- inputs
# Four groups, interleaved: a = rows 0, 2, 8; b = rows 1, 6, 9; c = rows 3, 4, 7 (equal scores, row 3's
# mask all zero); d = row 5 alone. Row 2 and row 9 have gaps in their masks.
W = 4
sequence_inputs = {
    'scores': [1.0, 0.0, 0.5, 0.2, 0.2, 0.9, 0.3, 0.2, 0.0, 0.7],
    'groupIds': ['a', 'b', 'a', 'c', 'c', 'd', 'b', 'c', 'a', 'b'],
    'responseLength': W,
    'mask': [1, 1, 1, 1,
             1, 1, 0, 0,
             1, 0, 1, 1,
             0, 0, 0, 0,
             1, 1, 1, 1,
             1, 0, 0, 0,
             1, 1, 1, 0,
             1, 1, 0, 0,
             1, 1, 1, 1,
             1, 0, 1, 0],
}
s, g, M = sequence_inputs['scores'], sequence_inputs['groupIds'], sequence_inputs['mask']
sequence_tables = []
for name, knobs, per_sample in [
    ('rloo', {}, rloo(s, g)),
    ('opo', {}, opo(s, g, M, W)),
    ('gpg', {}, gpg(s, g, 1.0)),
    ('gpg', {'fNorm': 2.5}, gpg(s, g, 2.5)),
]:
    sequence_tables.append({'estimator': name, 'knobs': knobs, 'sampleAdvantages': per_sample,
                            'advantages': spread(per_sample, M, W)})
sequence_tables.append({'estimator': 'reinforce-plus-plus-baseline', 'knobs': {}, 'sampleAdvantages': None,
                        'advantages': reinforce_pp_baseline(s, g, M, W)})

# Token rewards, 5 rows × 5: row 0 an outcome reward on its last token; row 1 a gap at t = 2 with a
# reward inside it; row 2 right-padded with a reward after its end; row 3 all masked; row 4 masked at t = 0.
T = 5
token_inputs = {
    'responseLength': T,
    'tokenRewards': [0.0, 0.0, 0.0, 0.0, 1.0,
                     0.1, 0.0, 0.5, 0.0, 0.8,
                     0.0, 0.0, 0.3, 0.7, 0.0,
                     0.2, 0.4, 0.0, 0.0, 0.0,
                     0.6, -0.5, 0.0, 0.0, 0.25],
    'mask': [1, 1, 1, 1, 1,
             1, 1, 0, 1, 1,
             1, 1, 1, 0, 0,
             0, 0, 0, 0, 0,
             0, 1, 1, 1, 1],
}
fractional_mask = [1, 0.5, 1, 1, 0.25,
                   1, 1, 0, 1, 1,
                   0.5, 1, 1, 0, 0,
                   0, 0, 0, 0, 0,
                   0, 1, 0.75, 1, 1]
# Rewards × 4 lift the variance over 0.25, where float32 loses the 1e-8 of `var + 1e-8` (below it, it is kept).
rewards, scaled = token_inputs['tokenRewards'], [4 * r for r in token_inputs['tokenRewards']]
token_tables = []
for gamma, reward, mask, label in [(1.0, rewards, token_inputs['mask'], 'binary'),
                                   (0.9, rewards, token_inputs['mask'], 'binary'),
                                   (0.0, rewards, token_inputs['mask'], 'binary'),
                                   (0.9, rewards, fractional_mask, 'fractional'),
                                   (0.9, scaled, token_inputs['mask'], 'binary, rewards × 4')]:
    advantages, returns = reinforce_pp(reward, mask, T, gamma)
    token_tables.append({'gamma': gamma, 'case': label, 'tokenRewards': reward, 'mask': mask,
                         'advantages': advantages, 'returns': returns})

json.dump({
    'generatedBy': 'tools/advantage-estimator-values.py',
    'verlCommit': '012be9d9dcb7c38499f23616142870d2682757fc',
    'sequence': {**sequence_inputs, 'tables': sequence_tables},
    'reinforcePlusPlus': {'responseLength': T, 'tables': token_tables},
}, sys.stdout, indent=1)
print()
