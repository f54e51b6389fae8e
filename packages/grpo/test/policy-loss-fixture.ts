import { expectClose } from '@research-ts/testing';
import { expect } from 'vitest';
import type { ActorLossOptions, ActorLossResult } from '../src/actor-loss';
import type { PolicyLossName } from '../src/policy-losses';

/*
 * The batches and cases of the worked tables of `tools/policy-loss-values.py` (`policy-losses.json`, and
 * `policy-losses-weighted.json` with token weights), shared by `policy-losses.test.ts` and
 * `policy-loss-token-weights.test.ts`.
 */

/** The arrays of a loss fixture, `[batch, responseLength]` row-major. */
export interface FixtureArrays {
  batch: number;
  responseLength: number;
  logprobs: number[];
  oldLogprobs: number[];
  refLogprobs: number[];
  entropies: number[];
  mask: number[];
}

/** A batch of the worked tables, with both kinds of advantages. */
export interface PolicyLossFixtureBatch extends FixtureArrays {
  sequenceAdvantages: number[];
  tokenAdvantages: number[];
}

/** What the Python table computed for one case. */
export interface WorkedValues {
  loss: number;
  pgLoss: number;
  klLoss: number;
  entropy: number;
  gradLogprobs: number[];
  pgClipFrac: number;
  pgClipFracLower: number;
  ppoKl: number;
  selectedTokenCount?: number;
  selected?: number[];
}

/** The knobs of a case; `perTokenAdvantages` picks the batch's per-token advantages. */
export type CaseKnobs = Partial<ActorLossOptions> & { perTokenAdvantages?: boolean };

/** A case's options: the batch as float64 (a 0/1 mask as bytes), no KL or entropy term, then the case's knobs. */
export function workedCaseOptions(
  data: PolicyLossFixtureBatch,
  policyLoss: PolicyLossName,
  { perTokenAdvantages, ...knobs }: CaseKnobs,
): ActorLossOptions {
  const binary = data.mask.every((m) => m === 0 || m === 1);
  return {
    logprobs: Float64Array.from(data.logprobs),
    oldLogprobs: Float64Array.from(data.oldLogprobs),
    refLogprobs: Float64Array.from(data.refLogprobs),
    entropies: Float64Array.from(data.entropies),
    mask: binary ? Uint8Array.from(data.mask) : Float64Array.from(data.mask),
    advantages: Float64Array.from(perTokenAdvantages ? data.tokenAdvantages : data.sequenceAdvantages),
    responseLength: data.responseLength,
    klCoefficient: 0,
    entropyCoefficient: 0,
    policyLoss,
    ...knobs,
  };
}

/** Asserts a result against the table's values: float64 sums to 1e-12 (ppoKl 1e-14), float32 gradients to 1.2e-7. */
export function expectWorkedValues(result: ActorLossResult, expected: WorkedValues, label: string): void {
  expectClose(result.loss, expected.loss, { atol: 1e-12, rtol: 1e-12, label: `${label} loss` });
  expectClose(result.metrics.pgLoss, expected.pgLoss, { atol: 1e-12, rtol: 1e-12, label: 'pgLoss' });
  expectClose(result.metrics.klLoss!, expected.klLoss, { atol: 1e-12, rtol: 1e-12, label: 'klLoss' });
  expectClose(result.metrics.entropy!, expected.entropy, { atol: 1e-12, rtol: 1e-12, label: 'entropy' });
  expectClose(result.metrics.pgClipFrac, expected.pgClipFrac, { atol: 1e-15, label: 'pgClipFrac' });
  expectClose(result.metrics.pgClipFracLower, expected.pgClipFracLower, { atol: 1e-15, label: 'pgClipFracLower' });
  expectClose(result.metrics.ppoKl, expected.ppoKl, { atol: 1e-14, rtol: 1e-14, label: 'ppoKl' });
  // gradients are float32: one rounding of relative size 2^-24
  expectClose(result.gradLogprobs, expected.gradLogprobs, { atol: 1e-15, rtol: 1.2e-7, label: `${label} grad` });
  expect(result.metrics.selectedTokenCount).toBe(expected.selectedTokenCount);
}
