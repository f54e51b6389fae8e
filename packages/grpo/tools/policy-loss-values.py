"""Writes src/__fixtures__/policy-losses.json: worked values of every policy loss, from the formulas alone.

Plain Python 3 (no numpy, no torch), float64, written from the loss formulas (verl core_algos.py at commit
012be9d9dcb7c38499f23616142870d2682757fc for vanilla/dapo, gspo, geo_mean, clip_cov, kl_cov; the papers for
CISPO, arXiv:2506.13585, and SAPO, arXiv:2511.20347), not from the TypeScript:

    python3 tools/policy-loss-values.py > src/__fixtures__/policy-losses.json
    python3 tools/policy-loss-values.py weighted > src/__fixtures__/policy-losses-weighted.json

The second writes the same losses with a rollout correction's token weights (`tokenWeights`), applied as verl's
later core_algos.py applies `rollout_is_weights` (read in later stored copies of that file that have them; the
commit above predates them): every loss multiplies its per-token loss by the weight before agg_loss, but geo_mean, which
multiplies each sequence's loss by the geometric mean of the row's weights (here with the weight floored at 1e-10
inside the log, where verl adds 1e-10, so that weights of 1 change nothing). The weights are constants: no gradient.

Every case holds the loss, d loss / d logprob per token (autograd's conventions: a tie of max/min splits the
gradient, clamp passes it on its closed range, detached factors carry none) and verl's metrics. Before writing,
the script checks its own gradients against central differences of its own loss values wherever no kink or
selection changes within the step (for CISPO, logprob and old move together so the detached weight stays put).
"""
import json
import math
import sys

# ---------------------------------------------------------------- batches
# Rows: 0 mixed log ratios; 1 large ones (±20 clamp, every clip); 2 all-zero mask; 3 tiny log ratios (inside
# GSPO's 3e-4/4e-4 window); 4 sequence log ratio above 10 (GSPO's clamp).
T = 5
LOG_RATIOS = [
    [0.05, -0.3, 0.35, 0.0, -0.1],
    [1.5, -1.2, 25.0, -22.0, 0.1],
    [0.4, -0.4, 0.2, 0.1, 0.0],
    [1e-4, -1e-4, 2e-4, 0.3, 5e-5],
    [12.0, 11.0, 10.5, 13.0, 0.7],
]
LOGPROBS = [
    [-0.2, -1.4, -3.1, -0.05, -2.2],
    [-0.7, -2.9, -0.3, -1.8, -4.0],
    [-1.0, -1.0, -1.0, -1.0, -1.0],
    [-3.6, -0.4, -2.5, -1.1, -0.9],
    [-0.15, -3.8, -1.6, -2.7, -0.6],
]
MASK = [
    [1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0],
    [1, 1, 1, 0, 1],
    [1, 1, 1, 1, 0],
]
SEQUENCE_ADVANTAGES = [1.1, -0.8, 0.5, 1.7, -1.3]
TOKEN_ADVANTAGES = [
    [1.2, -0.5, 0.0, 2.1, 0.3],
    [-1.4, 0.9, -0.7, 0.6, -2.0],
    [0.4, 0.4, 0.4, 0.4, 0.4],
    [0.0, 1.8, -0.9, 1.0, -0.3],
    [-0.6, 1.5, 0.8, -1.1, 0.0],
]
REF_OFFSETS = [
    [0.3, -0.2, 0.5, 0.0, 0.1],
    [-0.4, 0.7, 1.1, -0.9, 0.2],
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [0.25, -0.15, 3.0, 0.05, -0.6],
    [0.1, 0.2, -0.3, 0.4, 0.0],
]
ENTROPIES = [
    [1.1, 0.8, 2.0, 0.5, 0.9],
    [1.7, 0.6, 2.4, 0.3, 1.2],
    [0.5, 0.5, 0.5, 0.5, 0.5],
    [0.9, 1.3, 0.2, 2.2, 0.7],
    [0.4, 1.9, 1.0, 0.6, 1.5],
]


def flat(rows):
    return [v for row in rows for v in row]


def make_batch(mask_rows):
    logprobs = flat(LOGPROBS)
    return {
        'batch': len(LOGPROBS),
        'responseLength': T,
        'logprobs': logprobs,
        'oldLogprobs': [lp - x for lp, x in zip(logprobs, flat(LOG_RATIOS))],
        'refLogprobs': [lp + d for lp, d in zip(logprobs, flat(REF_OFFSETS))],
        'entropies': flat(ENTROPIES),
        'mask': flat(mask_rows),
        'sequenceAdvantages': SEQUENCE_ADVANTAGES,
        'tokenAdvantages': flat(TOKEN_ADVANTAGES),
    }


FRACTIONAL_MASK = [
    [1, 0.5, 1, 1, 0],
    [0.5, 1, 1, 0.5, 1],
    [0, 0, 0, 0, 0],
    [1, 1, 0.5, 0, 1],
    [1, 0.5, 1, 1, 0],
]
# Equal (advantage, logprob) pairs give equal covariances: kl-cov must break the ties by index.
TIES = {
    'batch': 2,
    'responseLength': 3,
    'logprobs': [-1.0, -1.0, -1.0, -2.5, -2.5, -0.5],
    'oldLogprobs': [-1.2, -0.9, -1.1, -2.4, -2.6, -0.5],
    'refLogprobs': [-1.0] * 6,
    'entropies': [1.0] * 6,
    'mask': [1, 1, 1, 1, 1, 1],
    'sequenceAdvantages': [1.0, -1.0],
    'tokenAdvantages': [1.0, 1.0, 1.0, -1.0, -1.0, -1.0],
}
BATCHES = {'main': make_batch(MASK), 'fractional': make_batch(FRACTIONAL_MASK), 'ties': TIES}

# Token weights as a token-level correction gives them (truncated at 2, one 0 in the loss); −1 on every masked-out
# token (both masks have the same zeros): the losses must never read them.
TOKEN_WEIGHTS = [
    [1.3, 0.0, 2.0, 0.45, -1.0],
    [0.8, 1.7, 0.05, 2.0, 1.1],
    [-1.0, -1.0, -1.0, -1.0, -1.0],
    [0.9, 1.25, 0.6, -1.0, 1.95],
    [1.5, 0.3, 1.0, 0.7, -1.0],
]
# One weight per row on its tokens, 0 elsewhere, as a sequence-level correction gives them.
ROW_WEIGHTS = [1.4, 0.55, 0.0, 1.8, 0.35]
SEQUENCE_WEIGHTS = [[w if m != 0 else 0.0 for m in row] for w, row in zip(ROW_WEIGHTS, MASK)]
WEIGHTED_BATCHES = {name: {**BATCHES[name], 'tokenWeights': flat(TOKEN_WEIGHTS),
                           'sequenceWeights': flat(SEQUENCE_WEIGHTS)} for name in ('main', 'fractional')}


# ---------------------------------------------------------------- settings
DEFAULTS = {
    'vanilla': {'clipLow': 0.2, 'clipHigh': 0.2, 'logRatioClamp': 20.0},
    'dapo': {'clipLow': 0.2, 'clipHigh': 0.28, 'logRatioClamp': 20.0},
    'gspo': {'clipLow': 3e-4, 'clipHigh': 4e-4, 'aggregation': {'mode': 'seq-mean-token-mean'}},
    'cispo': {'clipLow': 0.2, 'clipHigh': 0.2, 'logRatioClamp': 20.0},
    'sapo': {'tauPositive': 1.0, 'tauNegative': 1.05, 'logRatioClamp': 20.0,
             'aggregation': {'mode': 'seq-mean-token-mean'}},
    'geo-mean': {'clipLow': 0.2, 'clipHigh': 0.2},
    'clip-cov': {'clipLow': 0.2, 'clipHigh': 0.2, 'clipCovRatio': 0.0002, 'clipCovLower': 1.0, 'clipCovUpper': 5.0,
                 'clipCovSeed': 0},
    'kl-cov': {'klCovRatio': 0.0002, 'klCovCoefficient': 0.1},
}


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def sign(x):
    return (x > 0) - (x < 0)


def masked_mean(pairs):
    """pairs: (value, mask) for the tokens in the loss."""
    total = sum(m for _, m in pairs)
    return 0.0 if total == 0 else sum(v * m for v, m in pairs) / total


# ---------------------------------------------------------------- aggregation (verl agg_loss, global counts)
def row_weights(mask, batch, agg):
    """d loss / d L[i,t] = w_i · M[i,t]."""
    width = len(mask) // batch
    sums = [sum(mask[i * width:(i + 1) * width]) for i in range(batch)]
    dp = agg.get('dataParallelSize', 1)
    mode = agg['mode']
    non_empty = sum(1 for n in sums if n > 0)
    if mode == 'token-mean':
        tokens = agg.get('globalTokenCount', sum(sums))
        return [0.0 if tokens == 0 else dp / tokens] * batch
    if mode == 'seq-mean-token-sum':
        seqs = agg.get('globalBatchSize', non_empty)
        return [0.0 if seqs == 0 else dp / seqs] * batch
    if mode == 'seq-mean-token-mean':
        seqs = agg.get('globalBatchSize', non_empty)
        return [(dp / seqs) / (n + 1e-8) if n > 0 and seqs > 0 else 0.0 for n in sums]
    raise ValueError(mode)


# ---------------------------------------------------------------- the losses
# Each returns (pg loss, gradient per token with the weights, metrics, signature of the discrete states, the loss's
# parts: per token, or per row for the losses that couple a row's tokens (gspo, geo-mean). The self-check
# differentiates one part, as ratios near e^20 elsewhere would drown a difference of the whole loss in round-off.)
class Batch:
    def __init__(self, data, per_token, token_weights=None):
        self.B, self.T = data['batch'], data['responseLength']
        self.lp, self.old, self.mask = data['logprobs'], data['oldLogprobs'], data['mask']
        self.seq_adv, self.tok_adv = data['sequenceAdvantages'], data['tokenAdvantages']
        self.per_token = per_token
        self.token_weights = token_weights

    def w(self, k):
        """The constant factor of token k's loss (1 without weights, so products with it are unchanged)."""
        return 1.0 if self.token_weights is None else self.token_weights[k]

    def row_weight(self, i):
        """geo_mean's factor of row i: exp(Σ_t log(max(w, 1e-10))·M / (n_i + 1e-8)), 1 without weights."""
        if self.token_weights is None:
            return 1.0
        logs = sum(math.log(max(self.token_weights[k], 1e-10)) * self.mask[k]
                   for k in range(i * self.T, (i + 1) * self.T) if self.mask[k] != 0)
        return math.exp(logs / (self.row_mask_sum(i) + 1e-8))

    def adv(self, i, k):
        return self.tok_adv[k] if self.per_token else self.seq_adv[i]

    def tokens(self):
        for i in range(self.B):
            for t in range(self.T):
                k = i * self.T + t
                if self.mask[k] != 0:
                    yield i, k, self.mask[k]

    def row_mask_sum(self, i):
        return sum(self.mask[i * self.T:(i + 1) * self.T])


def clipped_term(a, r, lo, hi):
    """max(−A r, −A clamp(r)), d/dr, clipped flag."""
    l1, l2 = -a * r, -a * clamp(r, lo, hi)
    if l1 > l2:
        return l1, -a, False
    if l1 < l2:
        return l2, 0.0, True
    return l1, (-a if lo <= r <= hi else -0.5 * a), False


def vanilla(b, s, weights):
    lo, hi, c, dual = 1 - s['clipLow'], 1 + s['clipHigh'], s['logRatioClamp'], s.get('dualClip')
    parts, grad, sig = [0.0] * len(b.lp), [0.0] * len(b.lp), []
    clipped, capped, kl = [], [], []
    for i, k, m in b.tokens():
        a, x = b.adv(i, k), b.lp[k] - b.old[k]
        r = math.exp(clamp(x, -c, c))
        value, slope, was_clipped = clipped_term(a, r, lo, hi)
        was_capped = False
        if dual is not None and a < 0:  # min(value, −A·c): a tie splits the gradient
            if value > -a * dual:
                value, slope, was_capped = -a * dual, 0.0, True
            elif value == -a * dual:
                slope *= 0.5
        parts[k] += weights[i] * m * b.w(k) * value
        grad[k] = weights[i] * m * b.w(k) * (slope * r if -c <= x <= c else 0.0)
        clipped.append((float(was_clipped), m))
        capped.append((float(was_capped), m))
        kl.append((-clamp(x, -c, c), m))
        sig.append((was_clipped, was_capped, r < lo, r > hi, abs(x) > c))
    metrics = {'pgClipFrac': masked_mean(clipped), 'pgClipFracLower': masked_mean(capped), 'ppoKl': masked_mean(kl)}
    return sum(parts), grad, metrics, sig, parts


def gspo(b, s, weights):
    lo, hi = 1 - s['clipLow'], 1 + s['clipHigh']
    parts, grad, sig = [0.0] * b.B, [0.0] * len(b.lp), []
    clipped, kl = [], []
    for i in range(b.B):
        row = [(k, b.mask[k]) for k in range(i * b.T, (i + 1) * b.T) if b.mask[k] != 0]
        seq = sum((b.lp[k] - b.old[k]) * m for k, m in row) / max(b.row_mask_sum(i), 1)
        s_i = math.exp(min(seq, 10.0))
        for k, m in row:
            value, slope, was_clipped = clipped_term(b.adv(i, k), s_i, lo, hi)
            parts[i] += weights[i] * m * b.w(k) * value
            grad[k] = weights[i] * m * b.w(k) * slope * s_i if seq <= 10.0 else 0.0  # d s_i,t / d logprob_t = s_i
            clipped.append((float(was_clipped), m))
            kl.append((-(b.lp[k] - b.old[k]), m))
            sig.append((was_clipped, s_i < lo, s_i > hi, seq > 10))
    metrics = {'pgClipFrac': masked_mean(clipped), 'pgClipFracLower': 0.0, 'ppoKl': masked_mean(kl)}
    return sum(parts), grad, metrics, sig, parts


def cispo(b, s, weights):
    lo, hi, c = 1 - s['clipLow'], 1 + s['clipHigh'], s['logRatioClamp']
    parts, grad, clipped, kl = [0.0] * len(b.lp), [0.0] * len(b.lp), [], []
    for i, k, m in b.tokens():
        xc = clamp(b.lp[k] - b.old[k], -c, c)
        r = math.exp(xc)
        w_is = clamp(r, lo, hi)  # detached
        parts[k] += weights[i] * m * b.w(k) * (-w_is * b.adv(i, k) * b.lp[k])
        grad[k] = weights[i] * m * b.w(k) * (-w_is * b.adv(i, k))
        clipped.append((float(r != w_is), m))
        kl.append((-xc, m))
    metrics = {'pgClipFrac': masked_mean(clipped), 'pgClipFracLower': 0.0, 'ppoKl': masked_mean(kl)}
    return sum(parts), grad, metrics, [], parts


def sapo(b, s, weights):
    c = s['logRatioClamp']
    parts, grad, kl, sig = [0.0] * len(b.lp), [0.0] * len(b.lp), [], []
    for i, k, m in b.tokens():
        a = b.adv(i, k)
        x = b.lp[k] - b.old[k]
        r = math.exp(clamp(x, -c, c))
        tau = s['tauPositive'] if a > 0 else s['tauNegative']
        gate = 1.0 / (1.0 + math.exp(-tau * (r - 1.0)))
        parts[k] += weights[i] * m * b.w(k) * (-a * gate * 4.0 / tau)
        # d/dr [σ(τ(r − 1))·4/τ] = 4σ(1 − σ); d r / d logprob = r inside the clamp
        grad[k] = weights[i] * m * b.w(k) * (-a * 4.0 * gate * (1.0 - gate) * r) if -c <= x <= c else 0.0
        kl.append((-clamp(x, -c, c), m))
        sig.append(abs(x) > c)
    return sum(parts), grad, {'pgClipFrac': 0.0, 'pgClipFracLower': 0.0, 'ppoKl': masked_mean(kl)}, sig, parts


def geo_mean(b, s, weights):
    lo, hi = -s['clipLow'], s['clipHigh']
    parts, grad, sig = [0.0] * b.B, [0.0] * len(b.lp), []
    upper, lower, kl = [], [], []
    for i in range(b.B):
        n = b.row_mask_sum(i) + 1e-8
        row = [(k, b.mask[k]) for k in range(i * b.T, (i + 1) * b.T) if b.mask[k] != 0]
        held_sum, adv_sum, follows = 0.0, 0.0, {}
        for k, m in row:
            a, x = b.adv(i, k), b.lp[k] - b.old[k]
            sa, xc = sign(a), clamp(x, lo, hi)
            held = sa * min(sa * x, sa * xc)
            # the min passes its gradient to x when sa·x < sa·xc, half of it on a tie (inside the range the clamp
            # passes the other half): 1 unless sa·x > sa·xc; 0 when sa = 0
            follows[k] = 0.0 if sa == 0 or sa * x > sa * xc else 1.0
            held_sum += held * m
            adv_sum += a * m
            upper.append((float(x != xc and a > 0), m))
            lower.append((float(x != xc and a < 0), m))
            kl.append((-x, m))
            sig.append((x < lo, x > hi))
        ratio, mean_adv = math.exp(held_sum / n), adv_sum / n
        w_i = weights[i] * b.row_weight(i)  # the row's geometric-mean token weight, a constant
        parts[i] += w_i * (-mean_adv * ratio)
        for k, m in row:
            grad[k] = w_i * (-mean_adv) * ratio * m / n * follows[k]
    return sum(parts), grad, {'pgClipFrac': masked_mean(upper), 'pgClipFracLower': masked_mean(lower),
                        'ppoKl': masked_mean(kl)}, sig, parts


M32 = 0xFFFFFFFF


def mulberry32(seed):
    state = seed & M32

    def draw():
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = ((state ^ (state >> 15)) * (state | 1)) & M32
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32) ^ t
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return draw


def draw_without_replacement(items, count, seed):
    pool, draw = list(items), mulberry32(seed)
    for j in range(count):
        pick = j + int(draw() * (len(pool) - j))
        pool[j], pool[pick] = pool[pick], pool[j]
    return pool[:count]


def clip_cov(b, s, weights):
    lo, hi = 1 - s['clipLow'], 1 + s['clipHigh']
    tokens = list(b.tokens())
    mask_sum = sum(m for _, _, m in tokens)
    adv_centre = masked_mean([(b.adv(i, k), m) for i, k, m in tokens])
    lp_centre = masked_mean([(b.lp[k], m) for _, k, m in tokens])
    candidates = []
    for i, k, m in tokens:
        _, _, by_origin = clipped_term(b.adv(i, k), math.exp(b.lp[k] - b.old[k]), lo, hi)
        cov = (b.adv(i, k) - adv_centre) * (b.lp[k] - lp_centre)
        if m > 0 and not by_origin and s['clipCovLower'] < cov < s['clipCovUpper']:
            candidates.append(k)
    wanted = max(int(s['clipCovRatio'] * mask_sum), 1)
    cut = set(draw_without_replacement(candidates, min(wanted, len(candidates)), s['clipCovSeed']))
    parts, grad, sig, kl, cut_share = [0.0] * len(b.lp), [0.0] * len(b.lp), [], [], []
    for i, k, m in tokens:
        x = b.lp[k] - b.old[k]
        r = math.exp(x)
        value, slope, was_clipped = clipped_term(b.adv(i, k), r, lo, hi)
        corr = 0.0 if k in cut else 1.0
        parts[k] += weights[i] * m * b.w(k) * value * corr
        grad[k] = weights[i] * m * b.w(k) * slope * r * corr
        kl.append((-x, m))
        cut_share.append((1.0 - corr, m))
        sig.append((was_clipped, r < lo, r > hi))
    sig.append(tuple(sorted(cut)))
    return sum(parts), grad, {'pgClipFrac': masked_mean(cut_share), 'pgClipFracLower': 0.0, 'ppoKl': masked_mean(kl),
                        'selectedTokenCount': len(cut), 'selected': sorted(cut)}, sig, parts


def kl_cov(b, s, weights):
    tokens = list(b.tokens())
    valid = [(i, k) for i, k, m in tokens if m > 0]
    chosen = set()
    if valid:
        adv_centre = sum(b.adv(i, k) for i, k in valid) / len(valid)
        lp_centre = sum(b.lp[k] for _, k in valid) / len(valid)
        cov = {k: (b.adv(i, k) - adv_centre) * (b.lp[k] - lp_centre) for i, k in valid}
        count = max(1, int(len(valid) * s['klCovRatio']))
        chosen = set(sorted(cov, key=lambda k: (-cov[k], k))[:count])  # ties: lower index first
    parts, grad, kl, sig = [0.0] * len(b.lp), [0.0] * len(b.lp), [], []
    for i, k, m in tokens:
        x = b.lp[k] - b.old[k]
        a, r = b.adv(i, k), math.exp(x)
        value, slope = -a * r, -a * r
        if k in chosen:
            value += s['klCovCoefficient'] * abs(x)
            slope += s['klCovCoefficient'] * sign(x)
        parts[k] += weights[i] * m * b.w(k) * value
        grad[k] = weights[i] * m * b.w(k) * slope
        kl.append((abs(x), m))
        sig.append(x > 0)
    sig.append(tuple(sorted(chosen)))
    return sum(parts), grad, {'pgClipFrac': 0.0, 'pgClipFracLower': 0.0, 'ppoKl': masked_mean(kl),
                        'selectedTokenCount': len(chosen), 'selected': sorted(chosen)}, sig, parts


ROW_LEVEL = ('gspo', 'geo-mean')
LOSSES = {'vanilla': vanilla, 'dapo': vanilla, 'gspo': gspo, 'cispo': cispo, 'sapo': sapo, 'geo-mean': geo_mean,
          'clip-cov': clip_cov, 'kl-cov': kl_cov}


def surrogate_weights(name, b, agg):
    """verl: gspo and sapo aggregate seq-mean-token-mean (keeping the global sizes); geo_mean is a mean over rows."""
    if name in ('gspo', 'sapo'):
        forced = {'mode': 'seq-mean-token-mean'}
        for key in ('globalBatchSize', 'dataParallelSize'):
            if key in agg:
                forced[key] = agg[key]
        return row_weights(b.mask, b.B, forced)
    if name == 'geo-mean':
        rows = agg.get('globalBatchSize', b.B)
        return [agg.get('dataParallelSize', 1) / rows] * b.B
    return row_weights(b.mask, b.B, agg)


def k3(lp, ref):
    d = ref - lp
    dc = clamp(d, -20.0, 20.0)
    k = math.exp(dc) - dc - 1.0
    slope = 1.0 - math.exp(dc) if -20.0 <= d <= 20.0 and -10.0 <= k <= 10.0 else 0.0
    return clamp(k, -10.0, 10.0), slope


def actor_loss(name, data, options, logprobs=None, old=None):
    """The actor loss and its metrics; also the signature and the parts of the loss (KL and entropy included)."""
    data = dict(data)
    if logprobs is not None:
        data['logprobs'] = logprobs
    if old is not None:
        data['oldLogprobs'] = old
    settings = {**DEFAULTS[name], **{k: v for k, v in options.items() if k in KNOBS}}
    agg = options.get('aggregation', DEFAULTS[name].get('aggregation', {'mode': 'token-mean'}))
    weights_kind = options.get('weights')  # 'token' | 'sequence' | 'ones' | None
    token_weights = None
    if weights_kind == 'ones':
        token_weights = [1.0] * len(data['mask'])
    elif weights_kind is not None:
        token_weights = data[weights_kind + 'Weights']
    b = Batch(data, options.get('perTokenAdvantages', False), token_weights)
    pg, grad, metrics, sig, parts = LOSSES[name](b, settings, surrogate_weights(name, b, agg))
    kl_coef, ent_coef = options.get('klCoefficient', 0.0), options.get('entropyCoefficient', 0.0)
    weights = row_weights(b.mask, b.B, agg)
    kl_loss, entropy = 0.0, 0.0
    for i, k, m in b.tokens():
        value, slope = k3(b.lp[k], data['refLogprobs'][k])
        kl_loss += weights[i] * m * value
        entropy += weights[i] * m * data['entropies'][k]
        parts[i if name in ROW_LEVEL else k] += weights[i] * m * (kl_coef * value - ent_coef * data['entropies'][k])
        grad[k] += weights[i] * m * kl_coef * slope
    loss = pg - ent_coef * entropy + kl_coef * kl_loss
    result = {'loss': loss, 'pgLoss': pg, 'klLoss': kl_loss, 'entropy': entropy, 'gradLogprobs': grad, **metrics}
    return result, sig, parts


KNOBS = {'clipLow', 'clipHigh', 'logRatioClamp', 'dualClip', 'tauPositive', 'tauNegative', 'clipCovRatio', 'clipCovLower',
         'clipCovUpper', 'clipCovSeed', 'klCovRatio', 'klCovCoefficient'}

# ---------------------------------------------------------------- the cases
CASES = [
    ('dapo', 'main', {}),
    ('dapo', 'main', {'perTokenAdvantages': True}),
    ('gspo', 'main', {}),
    ('gspo', 'main', {'perTokenAdvantages': True}),
    ('gspo', 'main', {'clipLow': 0.2, 'clipHigh': 0.28}),
    ('gspo', 'main', {'aggregation': {'mode': 'seq-mean-token-mean', 'globalBatchSize': 8, 'dataParallelSize': 2}}),
    ('gspo', 'main', {'aggregation': {'mode': 'token-mean'}, 'klCoefficient': 0.05, 'entropyCoefficient': 0.01}),
    ('gspo', 'fractional', {}),
    ('cispo', 'main', {}),
    ('cispo', 'main', {'perTokenAdvantages': True, 'clipLow': 1e-3, 'clipHigh': 0.28}),
    ('cispo', 'main', {'aggregation': {'mode': 'seq-mean-token-sum'}}),
    ('cispo', 'fractional', {'logRatioClamp': 5.0}),
    ('sapo', 'main', {}),
    ('sapo', 'main', {'perTokenAdvantages': True}),
    ('sapo', 'main', {'tauPositive': 0.5, 'tauNegative': 2.0, 'klCoefficient': 0.05, 'entropyCoefficient': 0.01}),
    ('sapo', 'fractional', {'aggregation': {'mode': 'token-mean'}}),
    ('geo-mean', 'main', {}),
    ('geo-mean', 'main', {'perTokenAdvantages': True}),
    ('geo-mean', 'main', {'clipLow': 0.4, 'clipHigh': 0.4}),
    ('geo-mean', 'main', {'aggregation': {'mode': 'seq-mean-token-mean', 'globalBatchSize': 10,
                                          'dataParallelSize': 2}}),
    ('geo-mean', 'fractional', {'perTokenAdvantages': True}),
    ('clip-cov', 'main', {}),
    ('clip-cov', 'main', {'clipCovRatio': 0.25}),
    ('clip-cov', 'main', {'clipCovRatio': 0.25, 'clipCovSeed': 7}),
    ('clip-cov', 'main', {'perTokenAdvantages': True, 'clipCovRatio': 0.5, 'clipCovLower': 0.2, 'clipCovUpper': 3.0}),
    ('clip-cov', 'fractional', {'clipCovRatio': 0.3, 'aggregation': {'mode': 'seq-mean-token-mean'}}),
    ('kl-cov', 'main', {}),
    ('kl-cov', 'main', {'klCovRatio': 0.3}),
    ('kl-cov', 'main', {'perTokenAdvantages': True, 'klCovRatio': 0.3, 'klCovCoefficient': 1.0,
                        'klCoefficient': 0.05, 'entropyCoefficient': 0.01}),
    ('kl-cov', 'fractional', {'klCovRatio': 0.2}),
    ('kl-cov', 'ties', {'klCovRatio': 0.5}),
]


def self_check(name, data, options, expected, sig):
    """Central differences of this script's own loss against its gradients, where no state changes in the step.

    The difference is taken of the part of the loss that holds the token, its own or its row's (the others do not
    depend on it once the signature, the selections of clip-cov and kl-cov included, is fixed)."""
    h, checked, width = 1e-6, 0, data['responseLength']
    joint = name == 'cispo'  # hold the detached weight: shift logprob and old together
    if name == 'gspo' and (options.get('perTokenAdvantages') or options.get('weights') == 'token'):
        return 0  # GSPO-token, or weights varying in a row: the stop-gradient gradient is not the value's derivative
    for k, m in enumerate(data['mask']):
        if m == 0:
            assert expected['gradLogprobs'][k] == 0.0
            continue
        values, sigs = [], []
        for step in (h, -h):
            lp = list(data['logprobs'])
            lp[k] += step
            old = None
            if joint:
                old = list(data['oldLogprobs'])
                old[k] += step
            _, s, parts = actor_loss(name, data, options, lp, old)
            values.append(parts[k // width if name in ROW_LEVEL else k])
            sigs.append(s)
        if sigs[0] != sig or sigs[1] != sig:
            continue
        numeric = (values[0] - values[1]) / (2 * h)
        analytic = expected['gradLogprobs'][k]
        roundoff = 1e-14 * (abs(values[0]) + 1) / h  # a few ulps of the part, over the step
        assert abs(numeric - analytic) <= roundoff + 1e-6 * abs(analytic), (name, options, k, numeric, analytic)
        checked += 1
    return checked


# With weights (`python3 tools/policy-loss-values.py weighted`): every loss under token weights (one of them 0),
# per-sequence and per-token advantages with the KL and entropy terms on (they stay unweighted), sequence weights
# (constant over a row: GSPO's gradient is then the derivative of its value) and the fractional mask.
LOSS_KNOBS = {'clip-cov': {'clipCovRatio': 0.25}, 'kl-cov': {'klCovRatio': 0.3}}
WEIGHTED_CASES = [
    case
    for name in LOSSES
    for case in (
        (name, 'main', {**LOSS_KNOBS.get(name, {}), 'weights': 'token'}),
        (name, 'main', {**LOSS_KNOBS.get(name, {}), 'weights': 'token', 'perTokenAdvantages': True,
                        'klCoefficient': 0.05, 'entropyCoefficient': 0.01}),
        (name, 'main', {**LOSS_KNOBS.get(name, {}), 'weights': 'sequence'}),
        (name, 'fractional', {**LOSS_KNOBS.get(name, {}), 'weights': 'token'}),
    )
] + [
    ('vanilla', 'main', {'weights': 'token', 'dualClip': 3.0}),
    ('vanilla', 'main', {'weights': 'token', 'aggregation': {'mode': 'seq-mean-token-mean'}}),
    ('gspo', 'main', {'weights': 'sequence', 'clipLow': 0.2, 'clipHigh': 0.28}),
    ('geo-mean', 'main', {'weights': 'token', 'aggregation': {'mode': 'seq-mean-token-mean', 'globalBatchSize': 8,
                                                               'dataParallelSize': 2}}),
]

WEIGHTED = sys.argv[1:] == ['weighted']
assert sys.argv[1:] in ([], ['weighted']), 'usage: policy-loss-values.py [weighted]'

# Weights of 1 change nothing, to the bit, for every case of both tables.
for name, batch_name, options in CASES + WEIGHTED_CASES:
    data = {**BATCHES, **WEIGHTED_BATCHES}[batch_name]
    bare = {key: value for key, value in options.items() if key != 'weights'}
    assert actor_loss(name, data, {**bare, 'weights': 'ones'})[0] == actor_loss(name, data, bare)[0], (name, options)

cases = []
checked_total = 0
for name, batch_name, options in WEIGHTED_CASES if WEIGHTED else CASES:
    data = (WEIGHTED_BATCHES if WEIGHTED else BATCHES)[batch_name]
    expected, sig, _ = actor_loss(name, data, options)
    checked_total += self_check(name, data, options, expected, sig)
    if name in ('clip-cov', 'kl-cov'):
        assert expected['selectedTokenCount'] > 0, (name, options)
    if options.get('dualClip') is not None:
        assert expected['pgClipFracLower'] > 0, (name, options)
    cases.append({'policyLoss': name, 'batch': batch_name, 'options': options, 'expected': expected})
assert checked_total > 300, checked_total
print(f'self-check: {checked_total} gradients against central differences', file=sys.stderr)

if WEIGHTED:
    json.dump({
        'generatedBy': 'tools/policy-loss-values.py weighted',
        'verlSource': 'rollout_is_weights in the compute_policy_loss_* of later verl core_algos.py (not at verlCommit)',
        'batches': WEIGHTED_BATCHES,
        'cases': cases,
    }, sys.stdout, indent=1)
else:
    json.dump({
        'generatedBy': 'tools/policy-loss-values.py',
        'verlCommit': '012be9d9dcb7c38499f23616142870d2682757fc',
        'defaults': DEFAULTS,
        'batches': BATCHES,
        'cases': cases,
    }, sys.stdout, indent=1)
print()
