"""Writes src/__fixtures__/rollout-correction.json: worked tables for rollout-correction.test.ts.

Plain Python 3 (no numpy, no torch), float64, written from the formulas that rollout-correction.ts documents
(the rollout correction of verl's trainer/ppo/rollout_corr_helper.py, read at commit 0b4e2a81):
    python3 tools/rollout-correction-values.py > src/__fixtures__/rollout-correction.json

Notation: r = logprob − rolloutLogprob per token, m the mask, n_i = Σ_t m over row i, s_i = Σ_t r·m,
g_i = s_i / n_i (0 when n_i = 0). A masked mean over tokens is Σ v·m / Σ m; over a row with no token it is 0.
"""
import json
import math
import sys

BOUND = 20.0  # the log-ratio clamp before every exp


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def safe_exp(x):
    return math.exp(clamp(x, -BOUND, BOUND))


def masked_mean(values, mask):
    total = sum(m for m in mask if m != 0)
    return sum(v * m for v, m in zip(values, mask) if m != 0) / total if total > 0 else 0.0


def rows(values, width):
    return [values[i:i + width] for i in range(0, len(values), width)]


def row_means(values, mask, width):
    return [masked_mean(v, m) for v, m in zip(rows(values, width), rows(mask, width))]


def mean(xs):
    return sum(xs) / len(xs)


def unbiased_std(xs):
    if len(xs) < 2:
        return 0.0
    mu = mean(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (len(xs) - 1))


def log_or_minus_inf(x):
    return math.log(x) if x > 0 else -math.inf


def weight_statistics(weights, mask, width, row_logs, upper, lower):
    """Statistics of per-token weights; row_logs (one log-weight per row) for sequence-level weights."""
    batch = len(mask) // width
    stats = {'mean': masked_mean(weights, mask)}
    if row_logs is None:
        valid = [w for w, m in zip(weights, mask) if m != 0]
        stats['max'] = max(valid)
        stats['min'] = min(valid)
        stats['fractionHigh'] = masked_mean([1.0 if w > upper else 0.0 for w in weights], mask)
        stats['fractionLow'] = masked_mean([1.0 if w < lower else 0.0 for w in weights], mask)
    else:
        stats['max'] = math.exp(min(max(row_logs), BOUND))
        stats['min'] = math.exp(min(row_logs))
        stats['fractionHigh'] = sum(1 for v in row_logs if v > math.log(upper)) / batch
        stats['fractionLow'] = sum(1 for v in row_logs if v < log_or_minus_inf(lower)) / batch
    clamped = [clamp(w, lower, upper) for w in weights]
    clamped_mean = masked_mean(clamped, mask)
    if sum(mask) > 1:
        variance = masked_mean([c * c for c in clamped], mask) - clamped_mean ** 2
        stats['std'] = math.sqrt(max(variance, 0.0))
    else:
        stats['std'] = 0.0
    scale = clamped_mean if clamped_mean > 0 else 1e-8
    stats['effectiveSampleSize'] = 1.0 / masked_mean([(c / scale) ** 2 for c in clamped], mask)
    per_row = row_means(weights, mask, width)
    stats['sequenceMean'] = mean(per_row)
    stats['sequenceStd'] = unbiased_std(per_row)
    stats['sequenceMax'] = max(per_row)
    stats['sequenceMin'] = min(per_row)
    stats['sequenceMaxDeviation'] = max(abs(x - 1.0) for x in per_row)
    stats['sequenceFractionHigh'] = sum(1 for x in per_row if x > upper) / batch
    stats['sequenceFractionLow'] = sum(1 for x in per_row if x < lower) / batch
    return stats


def importance(ratio, mask, width, level, threshold, batch_normalize):
    sums = [sum(r * m for r, m in zip(rr, mm) if m != 0) for rr, mm in zip(rows(ratio, width), rows(mask, width))]
    weights = []
    for index, (r, m) in enumerate(zip(ratio, mask)):
        if m == 0:
            weights.append(0.0)
        else:
            log_weight = r if level == 'token' else sums[index // width]
            weights.append(safe_exp(log_weight) * m)
    stats = weight_statistics(weights, mask, width, None if level == 'token' else sums, threshold, 1.0 / threshold)
    weights = [min(w, threshold) for w in weights]
    if batch_normalize:
        if level == 'token':
            factor = masked_mean(weights, mask)
        else:
            counts = [sum(mm) for mm in rows(mask, width)]
            per_row = row_means(weights, mask, width)
            kept = [x for x, c in zip(per_row, counts) if c > 0]
            factor = sum(kept) / max(len(kept), 1e-8)
        if factor > 1e-8:
            weights = [w / factor for w in weights]
            stats['batchNormFactor'] = factor
        else:
            stats['batchNormFactor'] = 1.0
    return weights, stats


def rejection(ratio, mask, width, level, upper, lower):
    batch = len(mask) // width
    if level == 'token':
        row_logs = None
        weights = [safe_exp(r) if m != 0 else 0.0 for r, m in zip(ratio, mask)]
    else:
        row_logs = []
        for rr, mm in zip(rows(ratio, width), rows(mask, width)):
            s = sum(r * m for r, m in zip(rr, mm) if m != 0)
            n = sum(mm)
            row_logs.append(s if level == 'sequence' else (s / n if n > 0 else 0.0))
        weights = [safe_exp(row_logs[index // width]) for index in range(len(mask))]
    accept = [1 if lower <= w <= upper else 0 for w in weights]
    stats = weight_statistics(weights, mask, width, row_logs, upper, lower)
    stats['maskedFraction'] = masked_mean([1.0 - a for a in accept], mask)
    if level == 'token':
        rejected_rows = sum(
            1 for aa, mm in zip(rows(accept, width), rows(mask, width)) if sum((1 - a) * m for a, m in zip(aa, mm)) > 0)
    else:
        rejected_rows = sum(1 for i in range(batch) if accept[i * width] == 0)
    stats['sequenceMaskedFraction'] = rejected_rows / batch
    return accept, stats


def veto(ratio, mask, width, threshold):
    batch = len(mask) // width
    if threshold is None:
        return [1] * batch, {'fraction': 0.0, 'catastrophicTokenFraction': 0.0}
    catastrophic = [1.0 if (m != 0 and r < math.log(threshold)) else 0.0 for r, m in zip(ratio, mask)]
    keep_rows = [0 if any(c > 0 for c in cc) else 1 for cc in rows(catastrophic, width)]
    return keep_rows, {'fraction': sum(1 - k for k in keep_rows) / batch,
                       'catastrophicTokenFraction': masked_mean(catastrophic, mask)}


def off_policy(train, rollout, mask, width):
    ratio = [a - b for a, b in zip(train, rollout)]
    train_rows = row_means(train, mask, width)
    rollout_rows = row_means(rollout, mask, width)
    sums = [sum(r * m for r, m in zip(rr, mm) if m != 0) for rr, mm in zip(rows(ratio, width), rows(mask, width))]
    gaps = [r - t for r, t in zip(rollout_rows, train_rows)]
    return {
        'trainingPpl': mean([math.exp(-x) for x in train_rows]),
        'trainingLogPpl': mean([-x for x in train_rows]),
        'rolloutPpl': mean([math.exp(-x) for x in rollout_rows]),
        'rolloutLogPpl': mean([-x for x in rollout_rows]),
        'kl': masked_mean([-r for r in ratio], mask),
        'k3Kl': masked_mean([math.exp(r) - r - 1.0 if m != 0 else 0.0 for r, m in zip(ratio, mask)], mask),
        'logPplDiff': mean(gaps),
        'logPplAbsDiff': mean([abs(g) for g in gaps]),
        'logPplDiffMax': max(gaps),
        'logPplDiffMin': min(gaps),
        'pplRatio': mean([math.exp(g) for g in gaps]),
        'chi2Token': masked_mean([safe_exp(r) ** 2 if m != 0 else 0.0 for r, m in zip(ratio, mask)], mask) - 1.0,
        'chi2Seq': mean([math.exp(2.0 * clamp(s, -BOUND, BOUND)) for s in sums]) - 1.0,
    }


# mode → (importance level, rejection level, default threshold, default lower ('reciprocal' or a number), veto)
MODES = {
    'token-tis': ('token', None, 2.0, 'reciprocal', None),
    'sequence-tis': ('sequence', None, 2.0, 'reciprocal', None),
    'sequence-tis-rejection': ('sequence', 'sequence', 2.0, 'reciprocal', None),
    'sequence-mis': ('sequence', 'sequence', 2.0, 0.0, None),
    'token-rejection': (None, 'token', 2.0, 'reciprocal', None),
    'sequence-rejection': (None, 'sequence', 2.0, 'reciprocal', None),
    'geometric-rejection': (None, 'geometric', 1.001, 'reciprocal', 1e-4),
    'metrics-only': (None, None, 2.0, 'reciprocal', None),
}


def correct(train, rollout, mask, width, mode, options):
    importance_level, rejection_level, default_threshold, default_lower, default_veto = MODES[mode]
    threshold = options.get('threshold', default_threshold)
    upper = options.get('rejectionThreshold', threshold)
    lower = options.get('rejectionThresholdLower', 1.0 / upper if default_lower == 'reciprocal' else default_lower)
    veto_threshold = options.get('vetoThreshold', default_veto)
    ratio = [a - b for a, b in zip(train, rollout)]
    metrics = {}
    if importance_level is not None:
        weights, metrics['importance'] = importance(ratio, mask, width, importance_level, threshold,
                                                    options.get('batchNormalize', False))
    else:
        weights = [1.0 if m != 0 else 0.0 for m in mask]
    keep = [1 if m != 0 else 0 for m in mask]
    if rejection_level is not None:
        accept, metrics['rejection'] = rejection(ratio, mask, width, rejection_level, upper, lower)
        keep = [k * a for k, a in zip(keep, accept)]
    keep_rows, metrics['veto'] = veto(ratio, mask, width, veto_threshold)
    keep = [k * keep_rows[index // width] for index, k in enumerate(keep)]
    metrics['offPolicy'] = off_policy(train, rollout, mask, width)
    return {'mode': mode, 'options': options, 'weights': weights, 'mask': keep, 'metrics': metrics}


def build(width, rows_spec):
    """rows_spec: (rollout logprobs, log ratios, mask) per row; train = rollout + ratio."""
    train, rollout, mask = [], [], []
    for roll, ratio, m in rows_spec:
        rollout += roll
        train += [a + r for a, r in zip(roll, ratio)]
        mask += m
    return {'logprobs': train, 'rolloutLogprobs': rollout, 'mask': mask, 'responseLength': width}


T = 5
mixed = build(T, [
    # per-token ratios e^0.9 = 2.46 and e^0.75 = 2.12 above 2, e^-0.9 = 0.41 below 1/2; sequence ratio e^0.8
    ([-1.0, -0.5, -2.0, -0.3, -1.5], [0.9, -0.9, 0.1, -0.05, 0.75], [1, 1, 1, 1, 1]),
    # equal policies, one padding token whose logprobs differ wildly (it must not count)
    ([-0.7, -1.1, -0.2, -2.4, 40.0], [0.0, 0.0, 0.0, 0.0, -43.0], [1, 1, 1, 1, 0]),
    # a row with no token in the loss, garbage logprobs
    ([-30.0, -30.0, -30.0, -30.0, -30.0], [35.0, -35.0, 35.0, 0.0, 1.0], [0, 0, 0, 0, 0]),
    # one catastrophic token: ratio e^-12 = 6.1e-6 below the veto 1e-4
    ([-0.4, -0.1, -1.3, -0.9, -0.6], [0.01, -12.0, 0.02, 0.0, -0.01], [1, 1, 1, 1, 1]),
    # a near-on-policy row, two padding tokens: geometric ratio e^(0.0005/3) inside 1.001
    ([-1.6, -0.8, -0.05, -9.0, -9.0], [0.0004, -0.0002, 0.0003, 0.0, 0.0], [1, 1, 1, 0, 0]),
    # a far-off row: sequence log-ratio 25 is clamped to 20 before the exp
    ([-8.0, -8.0, -8.0, -8.0, -8.0], [5.0, 5.0, 5.0, 5.0, 5.0], [1, 1, 1, 1, 1]),
])
equal = build(4, [
    ([-0.3, -1.2, -0.8, -2.0], [0.0, 0.0, 0.0, 0.0], [1, 1, 1, 1]),
    ([-0.9, -0.1, -5.0, -5.0], [0.0, 0.0, 0.0, 0.0], [1, 1, 0, 0]),
    ([-1.0, -1.0, -1.0, -1.0], [0.0, 0.0, 0.0, 0.0], [0, 0, 0, 0]),
])

mixed_runs = [
    ('token-tis', {}),
    ('token-tis', {'threshold': 1.5, 'batchNormalize': True}),
    ('token-tis', {'vetoThreshold': 1e-4}),
    ('sequence-tis', {}),
    ('sequence-tis', {'batchNormalize': True}),
    ('sequence-tis-rejection', {}),
    ('sequence-mis', {}),
    ('token-rejection', {}),
    ('token-rejection', {'threshold': 1.2, 'rejectionThresholdLower': 0.9}),
    ('sequence-rejection', {}),
    ('geometric-rejection', {}),
    ('geometric-rejection', {'threshold': 1.002, 'vetoThreshold': None}),
    ('metrics-only', {}),
]


def run_case(name, inputs, runs):
    args = (inputs['logprobs'], inputs['rolloutLogprobs'], inputs['mask'], inputs['responseLength'])
    return {'name': name, 'inputs': inputs, 'runs': [correct(*args, mode, options) for mode, options in runs]}


json.dump({
    'generatedBy': 'tools/rollout-correction-values.py',
    'cases': [
        run_case('mixed', mixed, mixed_runs),
        run_case('equal policies', equal, [(mode, {}) for mode in MODES]),
    ],
}, sys.stdout, indent=1, allow_nan=False)
print()
