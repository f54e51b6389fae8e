import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectClose } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { AdvantageEstimatorFixture } from '../test/advantage-estimator-fixture';
import { readFixture } from '../test/read-fixture';
import { computeAdvantages } from './compute-advantages';
import { computeGpgAdvantages, computeOpoAdvantages, computeRlooAdvantages } from './group-baseline-advantages';

const { sequence } = await readFixture<AdvantageEstimatorFixture>('advantage-estimators.json');
const { scores, groupIds, responseLength } = sequence;
const mask = Uint8Array.from(sequence.mask);
const table = (estimator: string, fNorm?: number): number[] =>
  sequence.tables.find((entry) => entry.estimator === estimator && entry.knobs.fNorm === fNorm)!.sampleAdvantages!;
/** Rows of each group in the fixture: a = 0, 2, 8; b = 1, 6, 9; c = 3, 4, 7 (equal scores); d = 5 (alone). */
const groups = { a: [0, 2, 8], b: [1, 6, 9], c: [3, 4, 7], d: [5] };

describe('worked tables (tools/advantage-estimator-values.py, float64; atol 1e-12)', () => {
  it('rloo', () => {
    expectClose(computeRlooAdvantages({ scores, groupIds }), table('rloo'), { atol: 1e-12, label: 'rloo' });
  });
  it('opo', () => {
    expectClose(computeOpoAdvantages({ scores, groupIds, mask, responseLength }), table('opo'), {
      atol: 1e-12,
      label: 'opo',
    });
  });
  it('gpg with fNorm 1 (verl default) and 2.5', () => {
    expectClose(computeGpgAdvantages({ scores, groupIds }), table('gpg'), { atol: 1e-12, label: 'gpg' });
    expectClose(computeGpgAdvantages({ scores, groupIds, fNorm: 2.5 }), table('gpg', 2.5), {
      atol: 1e-12,
      label: 'gpg fNorm 2.5',
    });
  });
  it('gives the equal-score group exactly 0 and the group of one its raw score (times α for gpg)', () => {
    const rloo = computeRlooAdvantages({ scores, groupIds });
    const opo = computeOpoAdvantages({ scores, groupIds, mask, responseLength });
    const gpg = computeGpgAdvantages({ scores, groupIds });
    for (const row of groups.c) expect([rloo[row], opo[row], gpg[row]]).toEqual([0, 0, 0]);
    expect([rloo[5], opo[5]]).toEqual([0.9, 0.9]);
    expect(gpg[5]).toBe(1.25 * 0.9); // α = 10 samples / 8 non-zero scores
  });
});

describe('computeRlooAdvantages (verl compute_rloo_outcome_advantage)', () => {
  it('is s minus the mean of the others: sums to 0 per group and is Dr.GRPO × n / (n − 1) (atol 1e-15)', () => {
    const rloo = computeRlooAdvantages({ scores, groupIds });
    const drGrpo = computeAdvantages({ scores, groupIds, mode: 'dr-grpo' }).advantages;
    for (const rows of [groups.a, groups.b, groups.c]) {
      expectClose(
        rows.reduce((sum, row) => sum + rloo[row]!, 0),
        0,
        { atol: 1e-15, label: 'group sum' },
      );
      const n = rows.length;
      expectClose(
        rows.map((row) => rloo[row]!),
        rows.map((row) => (drGrpo[row]! * n) / (n - 1)),
        { atol: 1e-15, label: 'rloo = dr-grpo · n/(n−1)' },
      );
      for (const row of rows) {
        const others = rows.filter((other) => other !== row).map((other) => scores[other]!);
        expectClose(rloo[row]!, scores[row]! - others.reduce((a, b) => a + b, 0) / (n - 1), { atol: 1e-15 });
      }
    }
  });

  it('keeps the raw score of a group of one; a pair gets ± its difference', () => {
    expect([...computeRlooAdvantages({ scores: [0.4, 1, 0], groupIds: ['x', 'y', 'y'] })]).toEqual([0.4, 1, -1]);
  });
});

describe('computeOpoAdvantages (verl compute_opo_outcome_advantage)', () => {
  it('weights the baseline by response length: equal lengths give s − group mean (atol 1e-15)', () => {
    const full = new Uint8Array(scores.length * responseLength).fill(1);
    expectClose(
      computeOpoAdvantages({ scores, groupIds, mask: full, responseLength }),
      computeAdvantages({ scores, groupIds, mode: 'dr-grpo' }).advantages,
      { atol: 1e-15, label: 'opo with equal lengths' },
    );
    // lengths 3 and 1: baseline (3·1 + 1·0) / 4 = 0.75
    const opo = computeOpoAdvantages({
      scores: [1, 0],
      groupIds: [7, 7],
      mask: Uint8Array.from([1, 1, 1, 1, 0, 0]),
      responseLength: 3,
    });
    expect([...opo]).toEqual([0.25, -0.75]);
  });

  it('leaves a zero-length row out of its group baseline, and gives NaN to a group with no tokens at all', () => {
    // group a: lengths 2, 0, 2 → the middle score does not move the baseline
    const opo = computeOpoAdvantages({
      scores: [1, 100, 0, 5, 6],
      groupIds: ['a', 'a', 'a', 'z', 'z'],
      mask: Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 0, 0, 0]),
      responseLength: 2,
    });
    expect([...opo.slice(0, 3)]).toEqual([0.5, 99.5, -0.5]);
    expect(Number.isNaN(opo[3]) && Number.isNaN(opo[4])).toBe(true);
  });

  it('reads fractional mask weights as lengths (atol 1e-15)', () => {
    const opo = computeOpoAdvantages({
      scores: [2, 0],
      groupIds: [1, 1],
      mask: Float32Array.from([0.5, 0.5, 1, 0.5]),
      responseLength: 2,
    });
    expectClose(opo, [2 - 2 / 2.5, -2 / 2.5], { atol: 1e-15 });
  });
});

describe('computeGpgAdvantages (verl compute_gpg_outcome_advantage)', () => {
  it('scales Dr.GRPO by α = batch / non-zero scores and divides by fNorm (atol 1e-15)', () => {
    const drGrpo = computeAdvantages({ scores, groupIds, mode: 'dr-grpo' }).advantages;
    const gpg = computeGpgAdvantages({ scores, groupIds, fNorm: 2 });
    const expected = [...drGrpo].map((value, row) => (row === 5 ? (1.25 * 0.9) / 2 : (1.25 * value) / 2));
    expectClose(gpg, expected, { atol: 1e-15, label: 'gpg' });
  });

  it('uses α = batch when every score is 0 (count clamped to 1), giving 0; counts NaN as non-zero, −0 as zero', () => {
    expect([...computeGpgAdvantages({ scores: [0, 0, 0], groupIds: [1, 1, 2] })]).toEqual([0, 0, 0]);
    // one non-zero score of 4 → α = 4; the group of one {1} gets α · 1
    expect(computeGpgAdvantages({ scores: [0, 0, -0, 1], groupIds: [1, 1, 1, 2] })[3]).toBe(4);
    // NaN counts: α = 4 / 2
    const withNaN = computeGpgAdvantages({ scores: [0, Number.NaN, 0, 1], groupIds: [1, 2, 3, 4] });
    expect(withNaN[3]).toBe(2);
    expect(Number.isNaN(withNaN[1])).toBe(true);
  });

  it('rejects a non-positive or non-finite fNorm, naming the field', () => {
    for (const fNorm of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => computeGpgAdvantages({ scores: [1], groupIds: [1], fNorm })).toThrow(InvalidConfigError);
    }
    expect(() => computeGpgAdvantages({ scores: [1], groupIds: [1], fNorm: 0 })).toThrow('config field "fNorm"');
  });
});

describe('groups and shapes', () => {
  it('groups by id wherever the samples sit in the batch (atol 0)', () => {
    const interleaved = { scores: [1, 5, 0, 3, 0.5, 4], groupIds: ['x', 'y', 'x', 'y', 'x', 'y'] };
    const x = { scores: [1, 0, 0.5], groupIds: ['x', 'x', 'x'] };
    const y = { scores: [5, 3, 4], groupIds: ['y', 'y', 'y'] };
    const unzip = (a: Float64Array, b: Float64Array) => [a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!];
    expect([...computeRlooAdvantages(interleaved)]).toEqual(unzip(computeRlooAdvantages(x), computeRlooAdvantages(y)));
    const mask = new Uint8Array(6).fill(1);
    const mask3 = new Uint8Array(3).fill(1);
    expect([...computeOpoAdvantages({ ...interleaved, mask, responseLength: 1 })]).toEqual(
      unzip(
        computeOpoAdvantages({ ...x, mask: mask3, responseLength: 1 }),
        computeOpoAdvantages({ ...y, mask: mask3, responseLength: 1 }),
      ),
    );
  });

  it('throws InvalidInputError naming the field for mismatched lengths', () => {
    expect(() => computeRlooAdvantages({ scores: [1, 2], groupIds: [0] })).toThrow(InvalidInputError);
    expect(() => computeGpgAdvantages({ scores: [1, 2], groupIds: [0] })).toThrow('field "groupIds"');
    const mask = Uint8Array.from([1, 1, 1, 1]);
    expect(() => computeOpoAdvantages({ scores: [1, 2, 3], groupIds: [0, 0, 0], mask, responseLength: 2 })).toThrow(
      'field "scores"',
    );
    expect(() => computeOpoAdvantages({ scores: [1], groupIds: [0], mask, responseLength: 3 })).toThrow('field "mask"');
  });
});
