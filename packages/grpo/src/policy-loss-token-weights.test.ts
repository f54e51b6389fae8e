import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose, seededRandom } from '@research-ts/testing';
import { expectCentralDifferences, finiteDifferenceCases } from '../test/policy-loss-finite-differences';
import { batchInputs, randomBatch, type RandomBatch } from '../test/random-batch';
import {
  expectWorkedValues,
  workedCaseOptions,
  type CaseKnobs,
  type PolicyLossFixtureBatch,
  type WorkedValues,
} from '../test/policy-loss-fixture';
import { readFixture } from '../test/read-fixture';
import { computeActorLoss, type ActorLossOptions, type ActorLossResult } from './actor-loss';
import { computePolicyLoss } from './policy-loss';
import { policyLosses, type PolicyLossName } from './policy-losses';
import { computeRolloutCorrection } from './rollout-correction';

const names = Object.keys(policyLosses) as PolicyLossName[];

/** Asserts the same bits everywhere: loss, both gradients (`Object.is`, so −0 ≠ 0) and every metric. */
function expectSameBits(actual: ActorLossResult, expected: ActorLossResult, label: string): void {
  expect(Object.is(actual.loss, expected.loss), `${label}: loss ${actual.loss} vs ${expected.loss}`).toBe(true);
  for (const key of ['gradLogprobs', 'gradEntropies'] as const) {
    const differing = [...actual[key]].findIndex((value, k) => !Object.is(value, expected[key][k]));
    expect(differing, `${label}: ${key}`).toBe(-1);
  }
  expect(Object.keys(actual.metrics).sort(), `${label}: metric keys`).toEqual(Object.keys(expected.metrics).sort());
  for (const [key, value] of Object.entries(actual.metrics)) {
    expect(Object.is(value, expected.metrics[key as keyof typeof actual.metrics]), `${label}: ${key}`).toBe(true);
  }
}

/** The metrics the weights must not touch: all but `loss` and `pgLoss` (and the weighted `isFinite`). */
function unweightedMetrics(result: ActorLossResult) {
  const { loss: _loss, pgLoss: _pgLoss, isFinite: _isFinite, ...rest } = result.metrics;
  return rest;
}

function batchOptions(batch: RandomBatch, policyLoss: PolicyLossName, perTokenAdvantages: boolean) {
  return {
    ...batchInputs(batch, perTokenAdvantages),
    klCoefficient: 0.05,
    entropyCoefficient: 0.01,
    policyLoss,
    ...(policyLoss === 'clip-cov' ? { clipCovRatio: 0.2, clipCovLower: 0 } : {}),
    ...(policyLoss === 'kl-cov' ? { klCovRatio: 0.2 } : {}),
  } satisfies ActorLossOptions;
}

/**
 * Weights as a rollout correction gives them: per token in `[0, 2]` with about one in seven exactly 0, or one per
 * row (`perRow`, sequence-level); NaN on the tokens with mask 0, which must never be read.
 */
function randomWeights(batch: RandomBatch, seed: number, perRow = false): Float64Array {
  const random = seededRandom(seed);
  const rows = Array.from({ length: batch.batch }, () => 0.1 + 1.9 * random());
  return Float64Array.from(batch.mask, (m, k) => {
    if (m === 0) return Number.NaN;
    if (perRow) return rows[Math.floor(k / batch.responseLength)]!;
    return random() < 0.15 ? 0 : 2 * random();
  });
}

describe('tokenWeights: how each policy loss applies them', () => {
  it('multiplies the per-token term of every loss but geo-mean, which takes the geometric mean of the row', () => {
    for (const name of names) {
      expect(policyLosses[name].tokenWeights, name).toBe(name === 'geo-mean' ? 'sequence-geometric-mean' : 'token');
    }
  });
});

// ------------------------------------------------------------------ the worked table of tools/policy-loss-values.py weighted

interface WeightedBatch extends PolicyLossFixtureBatch {
  tokenWeights: number[];
  sequenceWeights: number[];
}
interface WeightedCase {
  policyLoss: PolicyLossName;
  batch: string;
  options: CaseKnobs & { weights: 'token' | 'sequence' };
  expected: WorkedValues;
}
const fixture = await readFixture<{ batches: Record<string, WeightedBatch>; cases: WeightedCase[] }>(
  'policy-losses-weighted.json',
);

function fixtureOptions(c: WeightedCase): ActorLossOptions {
  const data = fixture.batches[c.batch]!;
  const { weights, ...knobs } = c.options;
  const tokenWeights = Float64Array.from(weights === 'token' ? data.tokenWeights : data.sequenceWeights);
  return { ...workedCaseOptions(data, c.policyLoss, knobs), tokenWeights };
}

describe('tokenWeights: worked table (tools/policy-loss-values.py weighted, float64)', () => {
  it(`covers every loss (${fixture.cases.length} cases), a 0 weight in the loss and −1 on every masked-out token`, () => {
    expect(new Set(fixture.cases.map((c) => c.policyLoss))).toEqual(new Set(names));
    const main = fixture.batches.main!;
    expect(main.tokenWeights.some((w, k) => w === 0 && main.mask[k] !== 0)).toBe(true);
    expect(main.tokenWeights.every((w, k) => (main.mask[k] === 0 ? w === -1 : w >= 0))).toBe(true);
    expect(fixture.cases.some((c) => c.options.dualClip !== undefined && c.expected.pgClipFracLower > 0)).toBe(true);
  });

  it.each(
    fixture.cases.map((c, index) => [index, `${c.policyLoss} ${c.batch} ${JSON.stringify(c.options)}`, c] as const),
  )('case %i: %s', (_, label, c) => {
    const options = fixtureOptions(c);
    const result = computeActorLoss(options);
    const { expected } = c;
    expectWorkedValues(result, expected, label);
    // the KL and entropy terms and every metric but the loss are those of the unweighted loss, to the bit
    const { tokenWeights: _weights, ...unweighted } = options;
    const bare = computeActorLoss(unweighted);
    expect(unweightedMetrics(result)).toStrictEqual(unweightedMetrics(bare));
    expect([...result.gradEntropies]).toStrictEqual([...bare.gradEntropies]);
  });
});

// ------------------------------------------------------------------ identity, scaling, masks

describe('tokenWeights: weights of 1 are no weights, and the weights scale the surrogate alone', () => {
  const cases = names.flatMap((policyLoss) => [false, true].map((perToken) => [policyLoss, perToken] as const));

  it.each(cases)('%s (per-token advantages: %s): weights of 1 give the same bits as none', (policyLoss, perToken) => {
    const batch = randomBatch(61);
    const options = batchOptions(batch, policyLoss, perToken);
    const bare = computeActorLoss(options);
    for (const ones of [new Float64Array(batch.mask.length).fill(1), new Float32Array(batch.mask.length).fill(1)]) {
      expectSameBits(
        computeActorLoss({ ...options, tokenWeights: ones }),
        bare,
        `${policyLoss} ${ones.constructor.name}`,
      );
      const policy = computePolicyLoss({ ...options, tokenWeights: ones });
      const policyBare = computePolicyLoss(options);
      expect(Object.is(policy.loss, policyBare.loss)).toBe(true);
      expect([...policy.gradLogprobs].every((g, k) => Object.is(g, policyBare.gradLogprobs[k]))).toBe(true);
    }
  });

  it('weights of 1 give the same bits with a dual clip, a fractional mask and every aggregation of the option', () => {
    const batch = randomBatch(67);
    const fractional = Float64Array.from(batch.mask, (m, k) => m * (k % 3 === 0 ? 0.5 : 1));
    for (const aggregation of [
      { mode: 'token-mean' },
      { mode: 'seq-mean-token-sum' },
      { mode: 'seq-mean-token-mean', globalBatchSize: 8, dataParallelSize: 2 },
      { mode: 'trl-dr-grpo', maxCompletionLength: 9 },
    ] as const) {
      for (const policyLoss of names) {
        const options = {
          ...batchOptions(batch, policyLoss, true),
          mask: fractional,
          aggregation,
          ...(policyLoss === 'vanilla' || policyLoss === 'dapo' ? { dualClip: 1.5 } : {}),
        };
        const ones = new Float64Array(fractional.length).fill(1);
        expectSameBits(computeActorLoss({ ...options, tokenWeights: ones }), computeActorLoss(options), policyLoss);
      }
    }
  });

  it.each(names)('%s: the surrogate gradient is the weight times the unweighted one', (policyLoss) => {
    const batch = randomBatch(71);
    const options = { ...batchOptions(batch, policyLoss, true), klCoefficient: 0, entropyCoefficient: 0 };
    const tokenWeights = randomWeights(batch, 5);
    const weighted = computeActorLoss({ ...options, tokenWeights });
    const bare = computeActorLoss(options);
    const T = batch.responseLength;
    for (let k = 0; k < tokenWeights.length; k++) {
      if (batch.mask[k] === 0) {
        expect(weighted.gradLogprobs[k]).toBe(0);
        continue;
      }
      let factor = tokenWeights[k]!;
      if (policyLoss === 'geo-mean') {
        // the geometric mean of the row's weights, floored at 1e-10
        const row = Math.floor(k / T);
        let logs = 0;
        let count = 0;
        for (let t = row * T; t < row * T + T; t++) {
          if (batch.mask[t] === 0) continue;
          logs += Math.log(Math.max(tokenWeights[t]!, 1e-10));
          count++;
        }
        factor = Math.exp(logs / (count + 1e-8));
      }
      // two float32 roundings
      expectClose(weighted.gradLogprobs[k]!, factor * bare.gradLogprobs[k]!, {
        atol: 1e-30,
        rtol: 2.5e-7,
        label: `${policyLoss} token ${k}`,
      });
    }
    expect(unweightedMetrics(weighted)).toStrictEqual(unweightedMetrics(bare));
  });

  it('a weight of 0 takes a token out of the surrogate but not out of the KL and entropy terms', () => {
    const batch = randomBatch(73);
    const options = batchOptions(batch, 'vanilla', true);
    const k = [...batch.mask.keys()].find((index) => batch.mask[index] !== 0)!;
    const tokenWeights = new Float64Array(batch.mask.length).fill(1);
    tokenWeights[k] = 0;
    const withZero = computeActorLoss({ ...options, tokenWeights });
    const surrogateOff = computeActorLoss({ ...options, klCoefficient: 0, entropyCoefficient: 0, tokenWeights });
    expect(surrogateOff.gradLogprobs[k]).toBe(0);
    expect(withZero.gradLogprobs[k]).not.toBe(0); // the KL gradient is still there
    expect(withZero.metrics.tokenCount).toBe(computeActorLoss(options).metrics.tokenCount);
    expect(withZero.metrics.klLoss).toBe(computeActorLoss(options).metrics.klLoss);
  });

  it.each(names)('%s never reads a weight on a masked-out token', (policyLoss) => {
    const batch = randomBatch(79);
    const options = batchOptions(batch, policyLoss, false);
    const clean = randomWeights(batch, 9).map((w, k) => (batch.mask[k] === 0 ? 0 : w));
    const expected = computeActorLoss({ ...options, tokenWeights: clean });
    for (const poison of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      const poisoned = clean.map((w, k) => (batch.mask[k] === 0 ? poison : w));
      expectSameBits(computeActorLoss({ ...options, tokenWeights: poisoned }), expected, `${policyLoss} ${poison}`);
    }
  });

  it('applies computeRolloutCorrection weights as verl: token-mean of w·L over the corrected mask', () => {
    const batch = randomBatch(83);
    const rolloutLogprobs = batch.oldLogprobs.map((old, k) => old + 0.3 * Math.sin(k));
    const correction = computeRolloutCorrection({
      logprobs: batch.oldLogprobs,
      rolloutLogprobs,
      mask: batch.mask,
      responseLength: batch.responseLength,
      mode: 'token-tis',
      threshold: 1.2,
    });
    const result = computePolicyLoss({
      logprobs: batch.logprobs,
      oldLogprobs: batch.oldLogprobs,
      advantages: batch.tokenAdvantages,
      mask: correction.mask,
      responseLength: batch.responseLength,
      tokenWeights: correction.weights,
    });
    let sum = 0;
    let count = 0;
    for (let k = 0; k < correction.mask.length; k++) {
      if (correction.mask[k] === 0) continue;
      const ratio = Math.exp(batch.logprobs[k]! - batch.oldLogprobs[k]!);
      const advantage = batch.tokenAdvantages[k]!;
      const clipped = Math.max(-advantage * ratio, -advantage * Math.min(Math.max(ratio, 0.8), 1.2));
      sum += correction.weights[k]! * clipped;
      count++;
    }
    expect(new Set(correction.weights).size).toBeGreaterThan(5); // the weights do vary
    expectClose(result.loss, sum / count, { atol: 1e-15, rtol: 1e-13, label: 'token-mean of w·L' });
  });
});

// ------------------------------------------------------------------ finite differences

describe('tokenWeights: gradLogprobs against central differences (float64, h = 1e-6, weights constant)', () => {
  it.each(
    finiteDifferenceCases.map(
      (c) => [`${c.policyLoss} ${c.aggregation.mode} perToken=${c.perTokenAdvantages}`, c] as const,
    ),
  )('%s', (label, c) =>
    // GSPO: weights constant over a row (sequence-level); weights varying in a row make its stop-gradient
    // gradient, like GSPO-token's, not the derivative of the loss value (the scaling test covers that case)
    expectCentralDifferences(label, c, 1900, (batch, seed) => ({
      tokenWeights: randomWeights(batch, 300 + seed, c.policyLoss === 'gspo'),
    })),
  );
});

// ------------------------------------------------------------------ validation

describe('tokenWeights: validation', () => {
  const batch = randomBatch(5, 2, 3);
  batch.mask.set([1, 0, 1, 1, 1, 0]);
  const options = batchOptions(batch, 'vanilla', false);

  it('rejects a length other than [batch, responseLength], naming tokenWeights', () => {
    for (const policyLoss of names) {
      const bad = { ...options, policyLoss, tokenWeights: new Float64Array(5).fill(1) };
      expect(() => computeActorLoss(bad)).toThrow(InvalidInputError);
      expect(() => computeActorLoss(bad)).toThrow(
        'field "tokenWeights": expected 6 values ([batch, responseLength]), got 5',
      );
    }
    expect(() => computePolicyLoss({ ...options, tokenWeights: new Float32Array(7) })).toThrow(
      'field "tokenWeights": expected 6 values',
    );
  });

  it('rejects a negative or non-finite weight on a token in the loss, with its row and position', () => {
    for (const [value, shown] of [
      [-0.5, '-0.5'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      const tokenWeights = Float64Array.of(1, 1, 1, 1, value, 1);
      for (const policyLoss of names) {
        const bad = { ...options, policyLoss, tokenWeights };
        expect(() => computeActorLoss(bad)).toThrow(InvalidInputError);
        expect(() => computeActorLoss(bad)).toThrow(
          `field "tokenWeights": must be finite and ≥ 0 on every token in the loss, got ${shown} at row 1, position 1`,
        );
      }
    }
  });

  it('accepts 0 and anything on a masked-out token', () => {
    const tokenWeights = Float64Array.of(0, -7, 2.5, 0, 1e-300, Number.NaN);
    for (const policyLoss of names) {
      expect(computeActorLoss({ ...options, policyLoss, tokenWeights }).metrics.isFinite, policyLoss).toBe(true);
    }
  });
});
