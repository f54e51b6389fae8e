"""Writes src/__fixtures__/dapo.json: worked tables for overlong-penalty, overlong-filter and dynamic-sampling tests.

Python 3, float64, from the DAPO paper (Yu et al. 2025, eq. 13 and §3.2, §3.4); numpy only for the column that
shows what verl's `filter_groups` keeps (`np.std(values) > 0`):
    python3 tools/dapo-values.py > src/__fixtures__/dapo.json
"""
import json
import sys

import numpy as np


# ---------------------------------------------------------------- soft overlong punishment (eq. 13, × factor)
def paper_penalty(length, max_length, buffer, factor):
    expected = max_length - buffer
    if length <= expected:
        return 0.0
    if length <= max_length:
        return (expected - length) / buffer * factor
    return -1.0 * factor


def verl_penalty(length, max_length, buffer, factor):
    """verl's reward manager: min(−(L − (L_max − L_cache)) / L_cache · factor, 0); its L never exceeds L_max."""
    return min(-(length - (max_length - buffer)) / buffer * factor, 0.0)


penalty_tables = []
for max_length, buffer, factor, lengths in [
    (20, 4, 1.0, [0, 10, 15, 16, 17, 18, 19, 20, 21, 30]),
    (20, 4, 0.5, [16, 17, 19, 20, 25]),
    (20480, 4096, 1.0, [100, 16384, 16385, 18432, 20479, 20480, 20481]),  # the DAPO recipe
    (8, 8, 2.0, [0, 1, 4, 8, 9]),  # the buffer is the whole budget
]:
    rows = []
    for length in lengths:
        value = paper_penalty(length, max_length, buffer, factor)
        verl = verl_penalty(length, max_length, buffer, factor) if length <= max_length else None
        rows.append({'responseLength': length, 'penalty': value + 0.0, 'verl': verl})
    penalty_tables.append({'options': {'maxResponseLength': max_length, 'bufferLength': buffer,
                                       'penaltyFactor': factor}, 'rows': rows})


# ---------------------------------------------------------------- overlong filtering (§3.4)
def keep_sample(length, max_length, finished):
    return 0 if (length >= max_length and not finished) else 1


lengths = [5, 20, 20, 19, 25, 0]
finished = [True, True, False, False, False, False]
filter_table = {
    'maxResponseLength': 20,
    'responseLengths': lengths,
    'finished': finished,
    'keepWithFinished': [keep_sample(n, 20, f) for n, f in zip(lengths, finished)],
    'keepByLength': [keep_sample(n, 20, False) for n in lengths],
}

# ---------------------------------------------------------------- dynamic sampling's group filter (§3.2)
scores = [1.0, 1.0, 1.0,  # q1: mixed only through its last sample, at the end of the batch
          1.0, 1.0, 1.0, 1.0,  # q2: all correct
          0.1, 0.1, 0.1,  # q3: equal (numpy's mean of three 0.1 is not 0.1: std 1.4e-17 > 0)
          0.7,  # q4: a group of one
          0.0, 0.0,  # q5: all wrong
          1e-200, 2e-200,  # q6: distinct, but the squared deviations underflow (numpy std 0)
          0.5, 0.25, 0.5,  # q7: mixed
          0.0]  # q1
group_ids = ['q1'] * 3 + ['q2'] * 4 + ['q3'] * 3 + ['q4'] + ['q5'] * 2 + ['q6'] * 2 + ['q7'] * 3 + ['q1']

def groups_with_variance(values, ids, keep_singletons=True):
    members = {}
    for value, gid in zip(values, ids):
        members.setdefault(gid, []).append(value)
    kept = []
    for gid, vals in members.items():
        if len(vals) == 1:
            if keep_singletons:
                kept.append(gid)
        elif any(v != vals[0] for v in vals):
            kept.append(gid)
    return kept


members = {}
for value, gid in zip(scores, group_ids):
    members.setdefault(gid, []).append(value)
verl_kept = [gid for gid, vals in members.items() if np.std(vals) > 0 or len(vals) == 1]
dynamic_sampling = {
    'scores': scores,
    'groupIds': group_ids,
    'keptGroups': groups_with_variance(scores, group_ids),
    'keptGroupsWithoutSingletons': groups_with_variance(scores, group_ids, keep_singletons=False),
    'verlKeptGroups': verl_kept,
}

json.dump({
    'generatedBy': 'tools/dapo-values.py',
    'overlongPenalty': penalty_tables,
    'overlongFilter': filter_table,
    'dynamicSampling': dynamic_sampling,
}, sys.stdout, indent=1, allow_nan=False)
print()
