import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { expectClose } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { AdvantageEstimatorFixture } from '../test/advantage-estimator-fixture';
import { readFixture } from '../test/read-fixture';
import { advantageEstimators, computeAdvantageEstimate, type AdvantageEstimator } from './advantage-estimators';
import { advantageModes, computeAdvantages, type AdvantageMode } from './compute-advantages';

const fixture = await readFixture<AdvantageEstimatorFixture>('advantage-estimators.json');
const { scores, groupIds, responseLength } = fixture.sequence;
const mask = Uint8Array.from(fixture.sequence.mask);

describe('advantageEstimators', () => {
  it('names every estimator with its verl (or TRL) source, level and defaults', () => {
    expect(Object.keys(advantageEstimators).sort()).toEqual(
      [
        ...Object.keys(advantageModes),
        'rloo',
        'opo',
        'gpg',
        'reinforce-plus-plus',
        'reinforce-plus-plus-baseline',
      ].sort(),
    );
    expect(advantageEstimators.rloo.source).toBe('verl compute_rloo_outcome_advantage');
    expect(advantageEstimators['reinforce-plus-plus'].defaults).toEqual({ gamma: 1 });
    expect(advantageEstimators.gpg.defaults).toEqual({ fNorm: 1 });
    expect(advantageEstimators.grpo.defaults).toEqual({ epsilon: 1e-6 });
    const tokenLevel = Object.entries(advantageEstimators)
      .filter(([, rule]) => rule.level === 'token')
      .map(([name]) => name);
    expect(tokenLevel).toEqual(['reinforce-plus-plus', 'reinforce-plus-plus-baseline']);
  });
});

describe('computeAdvantageEstimate', () => {
  it.each(Object.keys(advantageModes) as AdvantageMode[])(
    '%s: sampleAdvantages are computeAdvantages bit for bit; tokens are a · m',
    (mode) => {
      for (const epsilon of [undefined, 0.25]) {
        const estimate = computeAdvantageEstimate({ estimator: mode, scores, groupIds, mask, responseLength, epsilon });
        const expected = computeAdvantages({ scores, groupIds, mode, epsilon }).advantages;
        expect(estimate.sampleAdvantages).toEqual(expected);
        expect(estimate.returns).toBe(estimate.advantages);
        expect([...estimate.advantages]).toEqual(
          [...mask].map((m, index) => (m === 0 ? 0 : expected[Math.floor(index / responseLength)]! * m)),
        );
      }
    },
  );

  it("defaults to 'grpo'", () => {
    const estimate = computeAdvantageEstimate({ scores, groupIds, mask, responseLength });
    expect(estimate.sampleAdvantages).toEqual(computeAdvantages({ scores, groupIds }).advantages);
  });

  it.each(
    fixture.sequence.tables.map((table) => [`${table.estimator} ${JSON.stringify(table.knobs)}`, table] as const),
  )('worked table %s (atol 1e-12)', (_, table) => {
    const estimate = computeAdvantageEstimate({
      estimator: table.estimator,
      scores,
      groupIds,
      mask,
      responseLength,
      ...table.knobs,
    });
    expectClose(estimate.advantages, table.advantages, { atol: 1e-12, label: `${table.estimator} tokens` });
    if (table.sampleAdvantages === null) expect(estimate.sampleAdvantages).toBeNull();
    else expectClose(estimate.sampleAdvantages!, table.sampleAdvantages, { atol: 1e-12, label: table.estimator });
    for (let index = 0; index < mask.length; index++) if (mask[index] === 0) expect(estimate.advantages[index]).toBe(0);
  });

  it.each(fixture.reinforcePlusPlus.tables)('reinforce-plus-plus γ = $gamma, $case mask (atol 1e-12)', (table) => {
    const estimate = computeAdvantageEstimate({
      estimator: 'reinforce-plus-plus',
      tokenRewards: table.tokenRewards,
      mask: table.mask.every((m) => m === 0 || m === 1) ? Uint8Array.from(table.mask) : Float32Array.from(table.mask),
      responseLength: fixture.reinforcePlusPlus.responseLength,
      gamma: table.gamma,
    });
    expectClose(estimate.advantages, table.advantages, { atol: 1e-12, label: 'reinforce-plus-plus' });
    expect(estimate.sampleAdvantages).toBeNull();
  });

  it('reads token rewards as their row sums over every token for the score-based estimators (atol 1e-15)', () => {
    // 0.5 on each row's first token and the score on its last, masked or not
    const tokenRewards = Float64Array.from(mask, (_, index) => {
      const t = index % responseLength;
      return (t === 0 ? 0.5 : 0) + (t === responseLength - 1 ? scores[Math.floor(index / responseLength)]! : 0);
    });
    const rowSums = scores.map((score) => score + 0.5);
    for (const estimator of ['grpo', 'rloo', 'opo', 'gpg', 'reinforce-plus-plus-baseline'] as const) {
      const fromTokens = computeAdvantageEstimate({ estimator, tokenRewards, groupIds, mask, responseLength });
      const fromScores = computeAdvantageEstimate({ estimator, scores: rowSums, groupIds, mask, responseLength });
      expectClose(fromTokens.advantages, fromScores.advantages, { atol: 1e-15, label: estimator });
    }
  });

  it('leaves groupIds optional for reinforce-plus-plus only', () => {
    const input = { tokenRewards: [0, 1, 0, 0], mask: Uint8Array.from([1, 1, 1, 1]), responseLength: 2 };
    expect(() => computeAdvantageEstimate({ ...input, estimator: 'reinforce-plus-plus' })).not.toThrow();
    expect(() => computeAdvantageEstimate({ ...input, estimator: 'rloo' })).toThrow('field "groupIds"');
  });

  it('throws InvalidInputError naming the field for a malformed call', () => {
    const base = { scores, groupIds, mask, responseLength };
    for (const name of ['ppo', 'constructor', 'toString']) {
      expect(() => computeAdvantageEstimate({ ...base, estimator: name as AdvantageEstimator })).toThrow(
        `unknown advantage estimator "${name}"`,
      );
    }
    expect(() => computeAdvantageEstimate({ ...base, estimator: 'reinforce-plus-plus' })).toThrow(
      'field "tokenRewards"',
    );
    expect(() => computeAdvantageEstimate({ ...base, tokenRewards: new Float64Array(mask.length) })).toThrow(
      'field "scores"',
    );
    expect(() => computeAdvantageEstimate({ groupIds, mask, responseLength })).toThrow(InvalidInputError);
    expect(() => computeAdvantageEstimate({ ...base, scores: scores.slice(1) })).toThrow('field "scores"');
    expect(() => computeAdvantageEstimate({ ...base, groupIds: groupIds.slice(1), estimator: 'rloo' })).toThrow(
      'field "groupIds"',
    );
    expect(() => computeAdvantageEstimate({ ...base, responseLength: 3 })).toThrow('field "mask"');
    expect(() =>
      computeAdvantageEstimate({ groupIds, mask, responseLength, tokenRewards: [1, 2, 3], estimator: 'rloo' }),
    ).toThrow('field "tokenRewards"');
  });

  it('checks every knob given, even one the estimator does not read', () => {
    const base = { scores, groupIds, mask, responseLength, estimator: 'rloo' as const };
    expect(() => computeAdvantageEstimate({ ...base, gamma: Number.NaN })).toThrow(InvalidConfigError);
    expect(() => computeAdvantageEstimate({ ...base, gamma: Number.POSITIVE_INFINITY })).toThrow(
      'config field "gamma"',
    );
    expect(() => computeAdvantageEstimate({ ...base, fNorm: 0 })).toThrow('config field "fNorm"');
    expect(() => computeAdvantageEstimate({ ...base, epsilon: -1 })).toThrow('config field "epsilon"');
    // a valid knob the estimator does not read is ignored, as verl ignores its unused arguments
    expect(computeAdvantageEstimate({ ...base, epsilon: 0.5 }).sampleAdvantages).toEqual(
      computeAdvantageEstimate(base).sampleAdvantages,
    );
  });
});
