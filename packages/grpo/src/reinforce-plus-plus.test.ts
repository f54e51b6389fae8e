import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectClose } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { AdvantageEstimatorFixture } from '../test/advantage-estimator-fixture';
import { readFixture } from '../test/read-fixture';
import { computeReinforcePlusPlusAdvantages, computeReinforcePlusPlusBaselineAdvantages } from './reinforce-plus-plus';

const fixture = await readFixture<AdvantageEstimatorFixture>('advantage-estimators.json');
const { responseLength, tables } = fixture.reinforcePlusPlus;
const maskOf = (values: number[]) =>
  values.every((value) => value === 0 || value === 1) ? Uint8Array.from(values) : Float32Array.from(values);

/** Masked mean and unbiased masked variance of a `[batch, responseLength]` array, weights = mask. */
function maskedMoments(values: ArrayLike<number>, mask: ArrayLike<number>): { mean: number; variance: number } {
  let n = 0;
  let sum = 0;
  for (let index = 0; index < mask.length; index++) {
    n += mask[index]!;
    sum += mask[index]! * values[index]!;
  }
  const mean = sum / n;
  let squares = 0;
  for (let index = 0; index < mask.length; index++) squares += mask[index]! * (values[index]! - mean) ** 2;
  return { mean, variance: (squares / n) * (n / (n - 1)) };
}

describe('computeReinforcePlusPlusAdvantages (verl compute_reinforce_plus_plus_outcome_advantage)', () => {
  it.each(tables)('γ = $gamma, $case mask: worked table (returns atol 1e-15, advantages atol 1e-12)', (entry) => {
    const result = computeReinforcePlusPlusAdvantages({
      tokenRewards: entry.tokenRewards,
      mask: maskOf(entry.mask),
      responseLength,
      gamma: entry.gamma,
    });
    expectClose(result.returns, entry.returns, { atol: 1e-15, label: 'returns' });
    expectClose(result.advantages, entry.advantages, { atol: 1e-12, label: 'advantages' });
  });

  it('cuts the return at a masked token: earlier tokens see neither its reward nor what follows', () => {
    const { returns, advantages } = computeReinforcePlusPlusAdvantages({
      tokenRewards: [0.1, 0, 0.5, 0, 0.8, 0, 0, 0, 0, 1],
      mask: Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 1, 1, 1]),
      responseLength: 5,
    });
    expectClose(returns, [0.1, 0, 1.3, 0.8, 0.8, 1, 1, 1, 1, 1], { atol: 1e-15, label: 'returns' });
    expect(advantages[2]).toBe(0);
  });

  it('with γ = 0 returns the rewards; γ defaults to 1 (verl algorithm.gamma)', () => {
    const tokenRewards = [0, 0.5, 1, 0.25, 0, 2];
    const mask = new Uint8Array(6).fill(1);
    expect([
      ...computeReinforcePlusPlusAdvantages({ tokenRewards, mask, responseLength: 3, gamma: 0 }).returns,
    ]).toEqual(tokenRewards);
    expect([...computeReinforcePlusPlusAdvantages({ tokenRewards, mask, responseLength: 3 }).returns]).toEqual([
      1.5, 1.5, 1, 2.25, 2, 2,
    ]);
  });

  it('whitens over the masked tokens: mean 0, unbiased variance var / (var + 1e-8) (atol 1e-12)', () => {
    for (const entry of tables) {
      const mask = maskOf(entry.mask);
      const { advantages, returns } = computeReinforcePlusPlusAdvantages({
        tokenRewards: entry.tokenRewards,
        mask,
        responseLength,
        gamma: entry.gamma,
      });
      // advantages are whitened returns × m, so divide the mask back out before taking moments
      const whitened = [...advantages].map((value, index) => (mask[index] === 0 ? 0 : value / mask[index]!));
      const before = maskedMoments(returns, mask).variance;
      const after = maskedMoments(whitened, mask);
      expectClose(after.mean, 0, { atol: 1e-12, label: `mean (${entry.case}, γ ${entry.gamma})` });
      const expected = before >= 0.25 ? 1 : before / (before + 1e-8);
      expectClose(after.variance, expected, { atol: 1e-12, label: `variance (${entry.case}, γ ${entry.gamma})` });
      for (let index = 0; index < mask.length; index++) if (mask[index] === 0) expect(advantages[index]).toBe(0);
    }
  });

  it('whitens equal returns to exactly 0 (the float32 rule drops 1e-8 from Σm)', () => {
    const { advantages } = computeReinforcePlusPlusAdvantages({
      tokenRewards: [0, 0, 0.3, 0, 0.3, 7],
      mask: Uint8Array.from([1, 1, 1, 1, 1, 0]),
      responseLength: 3,
    });
    expect([...advantages]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('keeps a NaN return on a masked token out of the statistics; a NaN carried past a cut poisons, as verl', () => {
    const first = computeReinforcePlusPlusAdvantages({
      tokenRewards: [Number.NaN, 1, 0, 0, 0, 2],
      mask: Uint8Array.from([0, 1, 1, 1, 1, 1]),
      responseLength: 3,
    });
    expect(Number.isNaN(first.returns[0])).toBe(true);
    expect(first.advantages[0]).toBe(0);
    expect(first.advantages.every((value) => Number.isFinite(value))).toBe(true);
    // verl multiplies the carry by the mask: NaN · 0 is NaN, so the cut does not stop a NaN
    const carried = computeReinforcePlusPlusAdvantages({
      tokenRewards: [0, Number.NaN, 1, 0, 0, 2],
      mask: Uint8Array.from([1, 0, 1, 1, 1, 1]),
      responseLength: 3,
    });
    expect(Number.isNaN(carried.returns[0])).toBe(true);
    expect(Number.isNaN(carried.advantages[5])).toBe(true);
  });

  it('throws where verl masked_var raises: mask sum 0 or 1 over the batch', () => {
    const tokenRewards = [1, 2, 3, 4];
    for (const mask of [[0, 0, 0, 0], [0, 1, 0, 0], Float32Array.from([0.5, 0, 0.5, 0])]) {
      expect(() =>
        computeReinforcePlusPlusAdvantages({ tokenRewards, mask: maskOf([...mask]), responseLength: 2 }),
      ).toThrow(InvalidInputError);
    }
    expect(() =>
      computeReinforcePlusPlusAdvantages({ tokenRewards, mask: Uint8Array.from([0, 0, 0, 0]), responseLength: 2 }),
    ).toThrow('field "mask"');
    // two tokens are enough
    expect(() =>
      computeReinforcePlusPlusAdvantages({ tokenRewards, mask: Uint8Array.from([1, 0, 0, 1]), responseLength: 2 }),
    ).not.toThrow();
  });

  it('rejects a non-finite or out-of-range γ and mismatched lengths, naming the field', () => {
    const base = { tokenRewards: [1, 2, 3, 4], mask: Uint8Array.from([1, 1, 1, 1]), responseLength: 2 };
    for (const gamma of [Number.NaN, Number.POSITIVE_INFINITY, -0.1, 1.5]) {
      expect(() => computeReinforcePlusPlusAdvantages({ ...base, gamma })).toThrow(InvalidConfigError);
    }
    expect(() => computeReinforcePlusPlusAdvantages({ ...base, gamma: Number.NaN })).toThrow('config field "gamma"');
    expect(() => computeReinforcePlusPlusAdvantages({ ...base, tokenRewards: [1, 2, 3] })).toThrow(
      'field "tokenRewards"',
    );
    expect(() => computeReinforcePlusPlusAdvantages({ ...base, responseLength: 3 })).toThrow('field "mask"');
  });
});

describe('computeReinforcePlusPlusBaselineAdvantages (verl compute_reinforce_plus_plus_baseline_outcome_advantage)', () => {
  const { scores, groupIds } = fixture.sequence;
  const mask = Uint8Array.from(fixture.sequence.mask);
  const T = fixture.sequence.responseLength;
  const expected = fixture.sequence.tables.find((entry) => entry.estimator === 'reinforce-plus-plus-baseline')!;

  it('worked table: groups not adjacent, a group of one, equal scores, an all-zero mask row (atol 1e-12)', () => {
    const advantages = computeReinforcePlusPlusBaselineAdvantages({ scores, groupIds, mask, responseLength: T });
    expectClose(advantages, expected.advantages, { atol: 1e-12, label: 'rf++ baseline' });
    expect([...advantages.slice(3 * T, 4 * T)]).toEqual([0, 0, 0, 0]); // row 3: mask all zero
  });

  it('is constant along each row under a 0/1 mask, and the equal-score group shares one value', () => {
    const advantages = computeReinforcePlusPlusBaselineAdvantages({ scores, groupIds, mask, responseLength: T });
    const rowValue = (row: number) => advantages.slice(row * T, row * T + T).filter((_, t) => mask[row * T + t] === 1);
    for (let row = 0; row < scores.length; row++) {
      const values = rowValue(row);
      for (const value of values) expect(value).toBe(values[0]);
    }
    // rows 4 and 7 (group c, equal scores) are centred to exactly 0, then moved by the batch mean alike
    expect(rowValue(4)[0]).toBe(rowValue(7)[0]);
    expect(rowValue(4)[0]).not.toBe(0);
  });

  it('gives all-equal groups exactly 0 when every group is equal', () => {
    const advantages = computeReinforcePlusPlusBaselineAdvantages({
      scores: [0.1, 0.1, 0.7, 0.7],
      groupIds: ['p', 'p', 'q', 'q'],
      mask: Uint8Array.from([1, 1, 1, 0, 1, 1, 0, 0]),
      responseLength: 2,
    });
    expect([...advantages]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('throws for mismatched lengths and for a batch whose mask sums to 1', () => {
    expect(() =>
      computeReinforcePlusPlusBaselineAdvantages({ scores: [1], groupIds: [1], mask, responseLength: T }),
    ).toThrow('field "scores"');
    expect(() =>
      computeReinforcePlusPlusBaselineAdvantages({ scores, groupIds: ['a'], mask, responseLength: T }),
    ).toThrow('field "groupIds"');
    expect(() =>
      computeReinforcePlusPlusBaselineAdvantages({
        scores: [1, 2],
        groupIds: [1, 1],
        mask: Uint8Array.from([1, 0, 0, 0]),
        responseLength: 2,
      }),
    ).toThrow('field "mask"');
  });
});
