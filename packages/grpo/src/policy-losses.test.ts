import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import {
  expectWorkedValues,
  workedCaseOptions,
  type CaseKnobs,
  type PolicyLossFixtureBatch,
  type WorkedValues,
} from '../test/policy-loss-fixture';
import { readFixture } from '../test/read-fixture';
import { expectCentralDifferences, finiteDifferenceCases } from '../test/policy-loss-finite-differences';
import { batchInputs, randomBatch } from '../test/random-batch';
import {
  actorLossDefaultsFor,
  checkActorLossSettings,
  computeActorLoss,
  researchActorLossDefaults,
  type ActorLossOptions,
} from './actor-loss';
import { computePolicyLoss } from './policy-loss';
import { policyLosses, type PolicyLossName } from './policy-losses';

// ------------------------------------------------------------------ the worked table of tools/policy-loss-values.py

interface FixtureCase {
  policyLoss: PolicyLossName;
  batch: string;
  options: CaseKnobs;
  expected: WorkedValues;
}
interface Fixture {
  verlCommit: string;
  defaults: Record<PolicyLossName, Record<string, unknown>>;
  batches: Record<string, PolicyLossFixtureBatch>;
  cases: FixtureCase[];
}
const fixture = await readFixture<Fixture>('policy-losses.json');
const names = Object.keys(policyLosses) as PolicyLossName[];

function fixtureOptions(c: FixtureCase): ActorLossOptions {
  return workedCaseOptions(fixture.batches[c.batch]!, c.policyLoss, c.options);
}

describe('policyLosses', () => {
  it('names every loss once, with its verl function or paper, and the defaults of the Python table', () => {
    expect(names.sort()).toEqual(['cispo', 'clip-cov', 'dapo', 'geo-mean', 'gspo', 'kl-cov', 'sapo', 'vanilla']);
    for (const name of names) {
      const rule = policyLosses[name];
      expect(rule.defaults, name).toEqual(fixture.defaults[name]);
      expect(rule.source, name).toMatch(/compute_policy_loss_|from the paper/);
      // every knob the loss reads has a default (the dual clip is off by default)
      for (const knob of rule.reads)
        if (knob !== 'dualClip') expect(rule.defaults, `${name}.${knob}`).toHaveProperty(knob);
    }
    expect(fixture.verlCommit).toBe('012be9d9dcb7c38499f23616142870d2682757fc');
  });

  it("exposes DAPO's decoupled clip (0.2 / 0.28) and GSPO's recipe (3e-4 / 4e-4, seq-mean-token-mean)", () => {
    expect(policyLosses.dapo.defaults).toMatchObject({ clipLow: 0.2, clipHigh: 0.28 });
    expect(actorLossDefaultsFor('gspo')).toMatchObject({
      policyLoss: 'gspo',
      clipLow: 3e-4,
      clipHigh: 4e-4,
      aggregation: { mode: 'seq-mean-token-mean' },
      klCoefficient: researchActorLossDefaults.klCoefficient,
    });
    expect(actorLossDefaultsFor('vanilla')).toEqual(researchActorLossDefaults);
  });
});

describe('policy losses: worked table (tools/policy-loss-values.py, float64)', () => {
  it(`covers every loss but vanilla (${fixture.cases.length} cases), an all-zero mask row and every clip`, () => {
    expect(new Set(fixture.cases.map((c) => c.policyLoss))).toEqual(new Set(names.filter((n) => n !== 'vanilla')));
    const main = fixture.batches.main!;
    expect(main.mask.slice(2 * main.responseLength, 3 * main.responseLength)).toEqual([0, 0, 0, 0, 0]);
    const logRatios = main.logprobs.map((logprob, k) => logprob - main.oldLogprobs[k]!);
    expect(Math.max(...logRatios)).toBeGreaterThan(20); // the ±20 clamp
    expect(Math.min(...logRatios)).toBeLessThan(-20);
    const expected = (name: PolicyLossName, key: 'pgClipFrac' | 'pgClipFracLower') =>
      fixture.cases.filter((c) => c.policyLoss === name).some((c) => c.expected[key] > 0);
    for (const name of ['dapo', 'gspo', 'cispo', 'geo-mean', 'clip-cov'] as const)
      expect(expected(name, 'pgClipFrac')).toBe(true);
    expect(expected('geo-mean', 'pgClipFracLower')).toBe(true);
  });

  it.each(
    fixture.cases.map((c, index) => [index, `${c.policyLoss} ${c.batch} ${JSON.stringify(c.options)}`, c] as const),
  )('case %i: %s', (_, label, c) => {
    const result = computeActorLoss(fixtureOptions(c));
    const { expected } = c;
    expectWorkedValues(result, expected, label);
    if (c.policyLoss === 'clip-cov') for (const k of expected.selected!) expect(result.gradLogprobs[k]).toBe(0);
    expect(result.metrics.isFinite).toBe(Number.isFinite(expected.loss));
  });
});

// ------------------------------------------------------------------ finite differences

describe('policy losses: gradLogprobs against central differences (float64, h = 1e-6)', () => {
  it.each(
    finiteDifferenceCases.map(
      (c) => [`${c.policyLoss} ${c.aggregation.mode} perToken=${c.perTokenAdvantages}`, c] as const,
    ),
  )('%s', (label, c) => expectCentralDifferences(label, c, 900));
});

// ------------------------------------------------------------------ selection, masks, vanilla

describe('policy losses: vanilla stays as it was, dapo is vanilla with clip-higher', () => {
  const batch = randomBatch(31);
  const common = batchInputs(batch);

  it("policyLoss 'vanilla' is the default and gives the same bits", () => {
    expect(computeActorLoss({ ...common, policyLoss: 'vanilla' })).toEqual(computeActorLoss(common));
    expect(computeActorLoss({ ...common, policyLoss: 'vanilla', dualClip: 3 })).toEqual(
      computeActorLoss({ ...common, dualClip: 3 }),
    );
  });

  it("'dapo' is vanilla with clipHigh 0.28 (and reads the dual clip)", () => {
    expect(computeActorLoss({ ...common, policyLoss: 'dapo' })).toEqual(
      computeActorLoss({ ...common, clipHigh: 0.28 }),
    );
    expect(computeActorLoss({ ...common, policyLoss: 'dapo', dualClip: 3, clipHigh: 0.3 })).toEqual(
      computeActorLoss({ ...common, dualClip: 3, clipHigh: 0.3 }),
    );
  });

  it('computePolicyLoss selects a loss the same way, without the KL and entropy terms', () => {
    for (const policyLoss of names) {
      const actor = computeActorLoss({ ...common, policyLoss, klCoefficient: 0, entropyCoefficient: 0 });
      const policy = computePolicyLoss({ ...common, policyLoss });
      expect(policy.loss, policyLoss).toBe(actor.loss);
      expect([...policy.gradLogprobs]).toEqual([...actor.gradLogprobs]);
    }
  });
});

describe('policy losses: masks, determinism, out buffers', () => {
  const base = () => {
    const batch = randomBatch(41);
    return {
      batch,
      options: (policyLoss: PolicyLossName) => ({
        ...batchInputs(batch, true),
        policyLoss,
        ...(policyLoss === 'clip-cov' ? { clipCovRatio: 0.2 } : {}),
        ...(policyLoss === 'kl-cov' ? { klCovRatio: 0.2 } : {}),
      }),
    };
  };

  it.each(names)('%s never reads a masked-out token and gives it no gradient', (policyLoss) => {
    const { batch, options } = base();
    const clean = computeActorLoss(options(policyLoss));
    const masked = [...batch.mask.keys()].filter((k) => batch.mask[k] === 0);
    expect(masked.length).toBeGreaterThan(7); // row 1 is empty
    for (const k of masked) {
      for (const array of [
        batch.logprobs,
        batch.oldLogprobs,
        batch.refLogprobs,
        batch.entropies,
        batch.tokenAdvantages,
      ])
        array[k] = Number.NaN;
    }
    const poisoned = computeActorLoss(options(policyLoss));
    expect(poisoned.loss).toBe(clean.loss);
    expect([...poisoned.gradLogprobs]).toEqual([...clean.gradLogprobs]);
    expect(poisoned.metrics).toMatchObject({ nonFiniteTokenCount: 0, isFinite: true });
    for (const k of masked) expect(poisoned.gradLogprobs[k]).toBe(0);
  });

  it.each(names)('%s reports a NaN on a token in the loss', (policyLoss) => {
    const { batch, options } = base();
    const k = [...batch.mask.keys()].find((index) => batch.mask[index] === 1)!;
    batch.logprobs[k] = Number.NaN;
    const result = computeActorLoss(options(policyLoss));
    expect(result.metrics.nonFiniteTokenCount).toBe(1);
    expect(result.metrics.isFinite).toBe(false);
  });

  it('clip-cov is deterministic for a seed, and the seed changes the draw', () => {
    const { options } = base();
    const draws = new Set<string>();
    for (const clipCovSeed of [0, 1, 2, 3, 4, 5]) {
      const first = computeActorLoss({ ...options('clip-cov'), clipCovSeed, clipCovLower: 0 });
      expect(computeActorLoss({ ...options('clip-cov'), clipCovSeed, clipCovLower: 0 })).toEqual(first);
      expect(first.metrics.selectedTokenCount).toBe(Math.trunc(0.2 * first.metrics.tokenCount));
      draws.add([...first.gradLogprobs].map((g) => (g === 0 ? 0 : 1)).join(''));
    }
    expect(draws.size).toBeGreaterThan(1);
  });

  it('kl-cov penalises the largest covariances, ties to the lower index', () => {
    const tie = fixture.cases.find((c) => c.batch === 'ties')!;
    // covariances: 5/12 ×3 in row 0, 13/12 ×2 and −11/12 in row 1; three tokens → 3, 4, then 0 of the tie
    expect(tie.expected.selected).toEqual([0, 3, 4]);
    const result = computeActorLoss(fixtureOptions(tie));
    expect(result.metrics.selectedTokenCount).toBe(3);
  });

  it('fills preallocated outputs, overwriting stale values', () => {
    const { options } = base();
    for (const policyLoss of names) {
      const fresh = computeActorLoss(options(policyLoss));
      const gradLogprobs = new Float32Array(fresh.gradLogprobs.length).fill(9);
      const gradEntropies = new Float32Array(fresh.gradLogprobs.length).fill(9);
      const reused = computeActorLoss({ ...options(policyLoss), out: { gradLogprobs, gradEntropies } });
      expect(reused.gradLogprobs).toBe(gradLogprobs);
      expect([...gradLogprobs]).toEqual([...fresh.gradLogprobs]);
      expect([...gradEntropies]).toEqual([...fresh.gradEntropies]);
    }
  });
});

describe('policy losses: settings are checked at the door', () => {
  const batch = randomBatch(5, 2, 3);
  const options = batchInputs(batch);

  it('rejects an unknown policy loss, naming the field', () => {
    const bad = { ...options, policyLoss: 'ppo' as PolicyLossName };
    expect(() => computeActorLoss(bad)).toThrow(InvalidConfigError);
    expect(() => computeActorLoss(bad)).toThrow(
      'config field "policyLoss": unknown policy loss "ppo" (expected one of',
    );
    expect(() => checkActorLossSettings({ policyLoss: 'toString' as PolicyLossName }, 'lossOptions.')).toThrow(
      'config field "lossOptions.policyLoss"',
    );
  });

  it('rejects a loss-specific knob for a loss that does not read it', () => {
    expect(() => computeActorLoss({ ...options, tauPositive: 1 })).toThrow(
      'config field "tauPositive": is not read by policyLoss "vanilla" (only by sapo)',
    );
    expect(() => computeActorLoss({ ...options, policyLoss: 'gspo', dualClip: 3 })).toThrow(
      'config field "dualClip": is not read by policyLoss "gspo" (only by vanilla, dapo)',
    );
    expect(() => checkActorLossSettings({ policyLoss: 'sapo', klCovRatio: 0.1 }, 'lossOptions.')).toThrow(
      'config field "lossOptions.klCovRatio"',
    );
    // the shared knobs may be passed to any loss (a trainer spreads the defaults)
    expect(() => checkActorLossSettings({ ...researchActorLossDefaults, policyLoss: 'kl-cov' })).not.toThrow();
  });

  it('rejects bad values of the new knobs with the config path', () => {
    const bad: [Partial<ActorLossOptions>, string][] = [
      [{ policyLoss: 'sapo', tauPositive: 0 }, 'config field "tauPositive": must be a finite number > 0, got 0'],
      [{ policyLoss: 'sapo', tauNegative: Number.POSITIVE_INFINITY }, 'config field "tauNegative"'],
      [{ policyLoss: 'clip-cov', clipCovRatio: 0 }, 'config field "clipCovRatio": must be in (0, 1]'],
      [{ policyLoss: 'clip-cov', clipCovLower: Number.NaN }, 'config field "clipCovLower"'],
      [{ policyLoss: 'clip-cov', clipCovSeed: 1.5 }, 'config field "clipCovSeed": must be an integer in [0, 2^32)'],
      [{ policyLoss: 'kl-cov', klCovRatio: 2 }, 'config field "klCovRatio"'],
      [{ policyLoss: 'kl-cov', klCovCoefficient: Number.NaN }, 'config field "klCovCoefficient"'],
      [{ policyLoss: 'gspo', clipLow: 1 }, 'config field "clipLow": must be in [0, 1)'],
    ];
    for (const [override, message] of bad) {
      expect(() => computeActorLoss({ ...options, ...override })).toThrow(InvalidConfigError);
      expect(() => computeActorLoss({ ...options, ...override })).toThrow(message);
    }
  });
});
