import { expectClose } from '@research-ts/testing';
import { expect } from 'vitest';
import { computeActorLoss, type ActorLossOptions } from '../src/actor-loss';
import type { LossAggregation } from '../src/loss-aggregation';
import { policyLosses, type PolicyLossDefaults, type PolicyLossName } from '../src/policy-losses';
import { batchInputs, randomBatch, type RandomBatch } from './random-batch';

/*
 * The finite-difference cases of the policy losses, the kinks a central difference must not straddle, and the check
 * itself, shared by `policy-losses.test.ts` and `policy-loss-token-weights.test.ts`.
 */

const names = Object.keys(policyLosses) as PolicyLossName[];

export interface FiniteDifferenceCase {
  policyLoss: PolicyLossName;
  perTokenAdvantages: boolean;
  aggregation: LossAggregation;
  knobs?: Partial<ActorLossOptions>;
}

export const finiteDifferenceCases: FiniteDifferenceCase[] = names.flatMap((policyLoss) =>
  [false, true].flatMap((perTokenAdvantages) =>
    // GSPO's per-token gradient (GSPO-token) is, by its stop-gradient, not the derivative of the loss value
    policyLoss === 'gspo' && perTokenAdvantages
      ? []
      : [{ mode: 'token-mean' } as const, { mode: 'seq-mean-token-mean' } as const].map((aggregation) => ({
          policyLoss,
          perTokenAdvantages,
          aggregation,
          ...(policyLoss === 'clip-cov' ? { knobs: { clipCovRatio: 0.1 } } : {}),
          ...(policyLoss === 'kl-cov' ? { knobs: { klCovRatio: 0.1, klCovCoefficient: 0.5 } } : {}),
          ...(policyLoss === 'gspo' && aggregation.mode === 'token-mean'
            ? { knobs: { clipLow: 0.2, clipHigh: 0.28 } }
            : {}),
        })),
  ),
);

export function finiteDifferenceOptions(
  batch: RandomBatch,
  c: FiniteDifferenceCase,
  logprobs = batch.logprobs,
  old = batch.oldLogprobs,
) {
  return {
    ...batchInputs(batch, c.perTokenAdvantages),
    logprobs,
    oldLogprobs: old,
    aggregation: c.aggregation,
    policyLoss: c.policyLoss,
    klEstimator: 'k3',
    klCoefficient: 0.3,
    entropyCoefficient: 0.01,
    ...c.knobs,
  } satisfies ActorLossOptions;
}

/** The covariance score of clip-cov (mask-weighted centres) or kl-cov (plain centres), per token in the loss. */
function covariances(batch: RandomBatch, perToken: boolean): number[] {
  const tokens = [...batch.mask.keys()].filter((k) => batch.mask[k] !== 0);
  const advantage = (k: number) =>
    perToken ? batch.tokenAdvantages[k]! : batch.sequenceAdvantages[Math.floor(k / batch.responseLength)]!;
  const mean = (f: (k: number) => number) => tokens.reduce((sum, k) => sum + f(k), 0) / tokens.length;
  const advantageCentre = mean(advantage);
  const logprobCentre = mean((k) => batch.logprobs[k]!);
  return tokens.map((k) => (advantage(k) - advantageCentre) * (batch.logprobs[k]! - logprobCentre));
}

/** True when a ±h step of token `k` could cross a kink of the loss or of k3, or change a selection. */
export function nearKink(batch: RandomBatch, c: FiniteDifferenceCase, k: number, h: number): boolean {
  const margin = 10 * h;
  const { responseLength: T } = batch;
  const logRatio = batch.logprobs[k]! - batch.oldLogprobs[k]!;
  const settings: PolicyLossDefaults = { ...policyLosses[c.policyLoss].defaults, ...c.knobs };
  const near = (value: number, kinks: number[]) => kinks.some((kink) => Math.abs(value - kink) < margin);
  const d = batch.refLogprobs[k]! - batch.logprobs[k]!;
  if (near(Math.abs(d), [0, 20]) || Math.abs(Math.expm1(d) - d - 10) < 1e-3) return true;
  const ratioKinks = [Math.log(1 - (settings.clipLow ?? 0.2)), Math.log(1 + (settings.clipHigh ?? 0.2))];
  switch (c.policyLoss) {
    case 'vanilla':
    case 'dapo':
    case 'clip-cov':
      if (near(logRatio, ratioKinks)) return true;
      if (c.policyLoss !== 'clip-cov') return false;
      // a covariance near a bound could move the token in or out of the candidates
      return covariances(batch, c.perTokenAdvantages).some((cov) =>
        near(cov, [settings.clipCovLower ?? 1, settings.clipCovUpper ?? 5]),
      );
    case 'gspo': {
      const row = Math.floor(k / T);
      let sum = 0;
      let count = 0;
      for (let t = 0; t < T; t++) {
        const m = batch.mask[row * T + t]!;
        sum += (batch.logprobs[row * T + t]! - batch.oldLogprobs[row * T + t]!) * m;
        count += m;
      }
      return near(sum / Math.max(count, 1), [...ratioKinks, 10]);
    }
    case 'geo-mean':
      return near(logRatio, [-(settings.clipLow ?? 0.2), settings.clipHigh ?? 0.2]);
    case 'kl-cov': {
      if (Math.abs(logRatio) < margin) return true;
      const sorted = covariances(batch, c.perTokenAdvantages).sort((a, b) => b - a);
      const count = Math.max(1, Math.trunc(sorted.length * (settings.klCovRatio ?? 0)));
      return count < sorted.length && sorted[count - 1]! - sorted[count]! < 1e-3;
    }
    case 'cispo':
    case 'sapo':
      return false;
  }
}

/**
 * Checks `gradLogprobs` of case `c` against central differences of the loss (float64, h = 1e-6) on six random batches
 * (seeds from `seedBase`), with `extraOptions(batch, seed)` over {@link finiteDifferenceOptions}: 0 on masked tokens,
 * within 1e-8 + 1e-5·|g| elsewhere, skipping the tokens {@link nearKink} names (fewer than a quarter).
 */
export function expectCentralDifferences(
  label: string,
  c: FiniteDifferenceCase,
  seedBase: number,
  extraOptions: (batch: RandomBatch, seed: number) => Partial<ActorLossOptions> = () => ({}),
): void {
  const h = 1e-6;
  let checked = 0;
  let skipped = 0;
  for (let seed = 0; seed < 6; seed++) {
    const batch = randomBatch(seedBase + seed * 13 + names.indexOf(c.policyLoss));
    const extra = extraOptions(batch, seed);
    const optionsAt = (logprobs = batch.logprobs, old = batch.oldLogprobs) => ({
      ...finiteDifferenceOptions(batch, c, logprobs, old),
      ...extra,
    });
    const result = computeActorLoss(optionsAt());
    expect(result.metrics.isFinite, label).toBe(true);
    // CISPO detaches its weight, a function of logprob − old: moving both by h holds it, as autograd does
    const joint = c.policyLoss === 'cispo';
    for (let k = 0; k < batch.logprobs.length; k++) {
      if (batch.mask[k] === 0) {
        expect(result.gradLogprobs[k], `${label} masked ${k}`).toBe(0);
        continue;
      }
      if (nearKink(batch, c, k, h)) {
        skipped++;
        continue;
      }
      const shifted = (array: Float64Array, step: number) => {
        const copy = array.slice();
        copy[k] = array[k]! + step;
        return copy;
      };
      const lossAt = (step: number) =>
        computeActorLoss(
          optionsAt(shifted(batch.logprobs, step), joint ? shifted(batch.oldLogprobs, step) : batch.oldLogprobs),
        ).loss;
      const numeric = (lossAt(h) - lossAt(-h)) / (2 * h);
      expectClose(result.gradLogprobs[k]!, numeric, {
        atol: 1e-8,
        rtol: 1e-5,
        label: `${label} seed ${seed} token ${k}`,
      });
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(120);
  expect(skipped).toBeLessThan(checked / 4);
}
