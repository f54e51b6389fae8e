import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { computeKlPenalty, k3ValueAndSlope, klEstimators, type KlEstimator } from './kl-estimators';

interface KlRow {
  logprob: number;
  ref: number;
  value: number;
  gradient: number;
}
const worked = await readFixture<{ kl: Record<KlEstimator, KlRow[]> }>('worked-values.json');
const estimatorNames = Object.keys(klEstimators) as KlEstimator[];

describe('KL estimators: worked tables', () => {
  it('covers every estimator', () => {
    expect(Object.keys(worked.kl).sort()).toEqual([...estimatorNames].sort());
  });

  it.each(estimatorNames)('%s', (name) => {
    const rule = klEstimators[name];
    for (const row of worked.kl[name]) {
      const label = `${name}(${row.logprob}, ${row.ref})`;
      // exp(d) − d − 1 in the table vs expm1(d) − d here: equal up to float64 cancellation
      expectClose(rule.value(row.logprob, row.ref), row.value, { atol: 1e-14, rtol: 1e-12, label: `${label} value` });
      expectClose(rule.gradient(row.logprob, row.ref), row.gradient, {
        atol: 1e-14,
        rtol: 1e-12,
        label: `${label} gradient`,
      });
    }
  });

  it('k3 by hand, with both clamps', () => {
    const { value, gradient } = klEstimators.k3;
    // d = ref − logprob = −0.5: e^−0.5 + 0.5 − 1
    expect(value(-1, -1.5)).toBeCloseTo(Math.exp(-0.5) - 0.5, 15);
    expect(gradient(-1, -1.5)).toBeCloseTo(1 - Math.exp(-0.5), 15);
    // d = 3: e^3 − 4 = 16.09 > 10, clamped to 10 with no gradient (as autograd's clamp)
    expect(value(-1, 2)).toBe(10);
    expect(gradient(-1, 2)).toBe(0);
    // d = −25: pre-clamped to −20, then k = e^−20 + 19 > 10 → 10
    expect(value(-1, -26)).toBe(10);
    expect(gradient(-1, -26)).toBe(0);
    // the largest unclamped d: k3 just under 10 still passes the gradient
    expect(gradient(0, 2.5)).toBeCloseTo(1 - Math.exp(2.5), 12);
    expect(value(0, 2.5)).toBeLessThan(10);
  });

  it('the + variants keep the forward value and take the k2 gradient, clamps or not', () => {
    for (const [logprob, ref] of [
      [-1, 2],
      [-1, -26],
      [-0.3, -0.9],
    ] as const) {
      expect(klEstimators['k3+'].value(logprob, ref)).toBe(klEstimators.k3.value(logprob, ref));
      expect(klEstimators['k3+'].gradient(logprob, ref)).toBe(logprob - ref);
      expect(klEstimators['k1+'].value(logprob, ref)).toBe(logprob - ref);
      expect(klEstimators['abs+'].gradient(logprob, ref)).toBe(klEstimators.k2.gradient(logprob, ref));
    }
  });

  it('abs has gradient 0 at equality (torch sign(0))', () => {
    expect(klEstimators.abs.gradient(-2, -2)).toBe(0);
    expect(klEstimators.abs.gradient(-2, -3)).toBe(1);
    expect(klEstimators.abs.gradient(-3, -2)).toBe(-1);
  });

  it("TRL's unclamped k3 keeps growing where verl's is clamped", () => {
    expect(klEstimators['k3-unclamped'].value(-1, 2)).toBeCloseTo(Math.exp(3) - 4, 12);
    expect(klEstimators['k3-unclamped'].gradient(-1, 2)).toBeCloseTo(1 - Math.exp(3), 12);
  });

  it.each(estimatorNames.filter((name) => !name.endsWith('+')))('%s gradient matches a central difference', (name) => {
    const { value, gradient } = klEstimators[name];
    const h = 1e-6;
    for (const [logprob, ref] of [
      [-1.2, -0.7],
      [-0.4, -2.1],
      [-3, -1.1],
      [-0.05, -0.6],
    ] as const) {
      const numeric = (value(logprob + h, ref) - value(logprob - h, ref)) / (2 * h);
      expectClose(gradient(logprob, ref), numeric, { atol: 1e-8, rtol: 1e-7, label: `${name}(${logprob}, ${ref})` });
    }
  });

  it('all estimators are 0 when the policy equals the reference', () => {
    for (const name of estimatorNames) expect(klEstimators[name].value(-1.5, -1.5)).toBe(0);
  });
});

describe('computeKlPenalty', () => {
  it('fills values and gradients per token, 0 on masked tokens', () => {
    const logprobs = Float64Array.from([-1, -2, -0.5, -1]);
    const refLogprobs = Float64Array.from([-1.5, -1.2, 1.5, -1]);
    const { values, gradients } = computeKlPenalty({
      logprobs,
      refLogprobs,
      estimator: 'k3',
      responseLength: 2,
      mask: Uint8Array.from([1, 1, 0, 1]),
    });
    expectClose(values, [Math.exp(-0.5) - 0.5, Math.exp(0.8) - 1.8, 0, 0], { atol: 1e-7 });
    expectClose(gradients, [1 - Math.exp(-0.5), 1 - Math.exp(0.8), 0, 0], { atol: 1e-6 });
  });

  it('rejects unknown estimators and mismatched shapes', () => {
    const a = new Float32Array(4);
    expect(() =>
      computeKlPenalty({ logprobs: a, refLogprobs: a, estimator: 'low_var_kl' as KlEstimator, responseLength: 2 }),
    ).toThrow(/unknown KL estimator "low_var_kl" \(expected one of k1, abs, k2, k3, k1\+, abs\+, k3\+, k3-unclamped\)/);
    expect(() =>
      computeKlPenalty({ logprobs: a, refLogprobs: new Float32Array(2), estimator: 'k1', responseLength: 2 }),
    ).toThrow(InvalidInputError);
  });
});

describe('k3ValueAndSlope', () => {
  it('gives the k3 and k3-unclamped rules their value and slope, clamps included', () => {
    const out = new Float64Array(2);
    for (const [logprob, ref] of [
      [-1.2, -0.7],
      [-0.1, -30],
      [-25, -1],
      [-3, -3],
      [-0.5, -12.5],
      [Number.NaN, -1],
    ] as const) {
      k3ValueAndSlope(logprob, ref, true, out);
      expect([out[0], out[1]]).toEqual([klEstimators.k3.value(logprob, ref), klEstimators.k3.gradient(logprob, ref)]);
      k3ValueAndSlope(logprob, ref, false, out);
      const d = ref - logprob;
      expect([out[0], out[1]]).toEqual([Math.exp(d) - d - 1, 1 - Math.exp(d)]);
    }
    // d = −29.9 is clamped to −20, so k = e^−20 + 19 is clamped to 10; the slope is 0 where a clamp bites.
    k3ValueAndSlope(-0.1, -30, true, out);
    expect([out[0], out[1]]).toEqual([10, 0]);
    // Inside both clamps: the slope is 1 − e^d.
    k3ValueAndSlope(-1.2, -0.7, true, out);
    expect([out[0], out[1]]).toEqual([Math.exp(0.5) - 0.5 - 1, 1 - Math.exp(0.5)]);
  });
});
