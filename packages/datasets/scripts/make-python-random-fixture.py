"""Writes src/__fixtures__/python-random.json: what CPython's `random` module gives for a few seeds.

Run with the system Python (no packages needed):
    /usr/bin/python3 packages/datasets/scripts/make-python-random-fixture.py
The TypeScript port in src/python-random.ts is tested against this file.
"""
import json
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, '..', '..', '..', '..', 'shared', 'research-data')
seeds = [42, 0, 1, 7, -3, 2**32 + 5, 12345678901234567890]
cases = []
for seed in seeds:
    case = {'seed': str(seed)}
    random.seed(seed)
    case['getrandbits32'] = [random.getrandbits(32) for _ in range(5)]
    random.seed(seed)
    case['random'] = [random.random() for _ in range(5)]
    random.seed(seed)
    case['getrandbits'] = [[k, random.getrandbits(k)] for k in (0, 1, 5, 31, 32, 33, 47, 53)]
    random.seed(seed)
    case['randbelow'] = [[n, random._inst._randbelow(n)] for n in (1, 2, 3, 5, 7, 10, 100, 1000, 2**31, 2**32, 2**32 + 1, 2**40 + 3)]
    shuffles = []
    for length in (0, 1, 2, 3, 20, 100):
        random.seed(seed)
        values = list(range(length))
        random.shuffle(values)
        shuffles.append(values)
    case['shuffle'] = shuffles
    cases.append(case)

# ReSearch's validation split: random.seed(42); random.shuffle(lines); lines[:100] over the MuSiQue dev rows.
random.seed(42)
indices = list(range(2417))
random.shuffle(indices)
musique = {'length': 2417, 'seed': 42, 'first100': indices[:100]}
musique_path = os.path.join(shared, 'qa-dev', 'musique_dev.json')
if os.path.exists(musique_path):
    with open(musique_path, encoding='utf-8') as handle:
        rows = json.load(handle)
    random.seed(42)
    random.shuffle(rows)
    musique['firstQuestions'] = [row['question'] for row in rows[:3]]

fixture = {
    'generatedBy': 'CPython ' + sys.version.split()[0] + ' random module (scripts/make-python-random-fixture.py)',
    'cases': cases,
    'musiqueDev': musique,
}
with open(os.path.join(here, '..', 'src', '__fixtures__', 'python-random.json'), 'w', encoding='utf-8') as handle:
    json.dump(fixture, handle, indent=1)
    handle.write('\n')
