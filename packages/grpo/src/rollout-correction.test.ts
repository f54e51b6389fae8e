import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import {
  computeRolloutCorrection,
  resolveRolloutCorrectionSettings,
  rolloutCorrectionModes,
  type RolloutCorrectionMode,
  type RolloutCorrectionSettings,
} from './rollout-correction';
import { verlRolloutCorrectionMetrics } from './rollout-correction-metrics';

interface Inputs {
  logprobs: number[];
  rolloutLogprobs: number[];
  mask: number[];
  responseLength: number;
}
interface Run {
  mode: RolloutCorrectionMode;
  options: Omit<RolloutCorrectionSettings, 'mode'>;
  weights: number[];
  mask: number[];
  metrics: Record<string, Record<string, number>>;
}
const fixture = await readFixture<{ cases: { name: string; inputs: Inputs; runs: Run[] }[] }>(
  'rollout-correction.json',
);
const mixed = fixture.cases.find((entry) => entry.name === 'mixed')!;

function batchOf(inputs: Inputs) {
  return {
    logprobs: Float64Array.from(inputs.logprobs),
    rolloutLogprobs: Float64Array.from(inputs.rolloutLogprobs),
    mask: Uint8Array.from(inputs.mask),
    responseLength: inputs.responseLength,
  };
}

/** Compares every metric group field by field; the key sets must match exactly. */
function expectMetrics(actual: object, expected: Record<string, Record<string, number>>, label: string) {
  const groups = actual as Record<string, Record<string, number>>;
  expect(Object.keys(groups).sort(), `${label}: groups`).toEqual(Object.keys(expected).sort());
  for (const [group, fields] of Object.entries(expected)) {
    expect(Object.keys(groups[group]!).sort(), `${label}.${group}: fields`).toEqual(Object.keys(fields).sort());
    for (const [field, value] of Object.entries(fields)) {
      expectClose(groups[group]![field]!, value, { atol: 1e-12, rtol: 1e-10, label: `${label}.${group}.${field}` });
    }
  }
}

describe('computeRolloutCorrection worked tables', () => {
  it('covers every mode', () => {
    expect(new Set(mixed.runs.map((run) => run.mode))).toEqual(new Set(Object.keys(rolloutCorrectionModes)));
  });

  const runs = fixture.cases.flatMap(({ name, inputs, runs }) => runs.map((run) => ({ name, inputs, ...run })));
  it.each(runs)('$name: $mode $options', ({ name, inputs, mode, options, weights, mask, metrics }) => {
    const result = computeRolloutCorrection({ ...batchOf(inputs), mode, ...options });
    const label = `${name} ${mode}`;
    expectClose(result.weights, weights, { atol: 0, rtol: 6e-8, label: `${label} weights` });
    expect([...result.mask], `${label} mask`).toEqual(mask);
    expectMetrics(result.metrics, metrics, label);
  });

  it('never reads the padding: NaN there changes nothing', () => {
    const batch = batchOf(mixed.inputs);
    batch.mask.forEach((m, index) => {
      if (m === 0) {
        batch.logprobs[index] = Number.NaN;
        batch.rolloutLogprobs[index] = Number.NaN;
      }
    });
    for (const { mode, options, weights, mask, metrics } of mixed.runs) {
      const result = computeRolloutCorrection({ ...batch, mode, ...options });
      expectClose(result.weights, weights, { atol: 0, rtol: 6e-8, label: `${mode} weights` });
      expect([...result.mask]).toEqual(mask);
      expectMetrics(result.metrics, metrics, mode);
    }
  });

  it('takes float32 inputs', () => {
    const inputs = fixture.cases.find((entry) => entry.name === 'equal policies')!.inputs;
    const batch = batchOf(inputs);
    const result = computeRolloutCorrection({
      ...batch,
      logprobs: Float32Array.from(batch.logprobs),
      rolloutLogprobs: Float32Array.from(batch.rolloutLogprobs),
      mode: 'sequence-tis',
    });
    expect([...result.weights]).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('computeRolloutCorrection by hand', () => {
  const batch = batchOf(mixed.inputs);
  const T = batch.responseLength;
  const row = <A extends ArrayLike<number>>(values: A, index: number) =>
    Array.from(values).slice(index * T, (index + 1) * T);

  it('equal policies give weights of exactly 1 and keep every token, in every mode', () => {
    const equal = batchOf(fixture.cases.find((entry) => entry.name === 'equal policies')!.inputs);
    for (const mode of Object.keys(rolloutCorrectionModes) as RolloutCorrectionMode[]) {
      const result = computeRolloutCorrection({ ...equal, mode });
      expect([...result.weights], mode).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
      expect([...result.mask], mode).toEqual([...equal.mask]);
      expect(result.metrics.offPolicy.kl, mode).toBe(0);
      expect(result.metrics.offPolicy.chi2Token, mode).toBe(0);
    }
  });

  it('token TIS truncates above 2 and never below', () => {
    const { weights } = computeRolloutCorrection({ ...batch, mode: 'token-tis' });
    // row 0 log-ratios 0.9, −0.9, 0.1, −0.05, 0.75
    expectClose(row(weights, 0), [2, Math.exp(-0.9), Math.exp(0.1), Math.exp(-0.05), 2], { rtol: 6e-8, atol: 0 });
    // row 5: e^5 per token, truncated
    expect(row(weights, 5)).toEqual([2, 2, 2, 2, 2]);
  });

  it('a row with no token gets weight 0 and stays out of the mask', () => {
    for (const mode of Object.keys(rolloutCorrectionModes) as RolloutCorrectionMode[]) {
      const result = computeRolloutCorrection({ ...batch, mode });
      expect(row(result.weights, 2), mode).toEqual([0, 0, 0, 0, 0]);
      expect(row(result.mask, 2), mode).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('one catastrophic token vetoes its whole sequence, and only that one', () => {
    const result = computeRolloutCorrection({ ...batch, mode: 'token-tis', vetoThreshold: 1e-4 });
    expect(row(result.mask, 3)).toEqual([0, 0, 0, 0, 0]);
    const unvetoed = computeRolloutCorrection({ ...batch, mode: 'token-tis' });
    expect([...result.mask].filter((_, index) => Math.floor(index / T) !== 3)).toEqual(
      [...unvetoed.mask].filter((_, index) => Math.floor(index / T) !== 3),
    );
    // the weights are untouched: the veto acts on the mask
    expect([...result.weights]).toEqual([...unvetoed.weights]);
    expect(result.metrics.veto).toEqual({ fraction: 1 / 6, catastrophicTokenFraction: 1 / 22 });
  });

  it('token rejection drops the tokens outside [1/2, 2]; sequence rejection drops rows', () => {
    const tokens = computeRolloutCorrection({ ...batch, mode: 'token-rejection' });
    expect(row(tokens.mask, 0)).toEqual([0, 0, 1, 1, 0]);
    expect(row(tokens.mask, 3)).toEqual([1, 0, 1, 1, 1]);
    const sequences = computeRolloutCorrection({ ...batch, mode: 'sequence-rejection' });
    // row 0: e^0.8 = 2.23 > 2; row 3: e^−11.98 < 1/2; row 5: e^25 clamped to e^20
    expect([0, 1, 3, 4, 5].map((index) => row(sequences.mask, index)[0])).toEqual([0, 1, 0, 1, 0]);
  });

  it('the geometric mean keeps the near-on-policy row at 1.001 and drops it at 1.0001', () => {
    // row 4: geometric ratio e^(0.0005/3) = 1.000167
    const loose = computeRolloutCorrection({ ...batch, mode: 'geometric-rejection' });
    expect(row(loose.mask, 4)).toEqual([1, 1, 1, 0, 0]);
    const tight = computeRolloutCorrection({ ...batch, mode: 'geometric-rejection', threshold: 1.0001 });
    expect(row(tight.mask, 4)).toEqual([0, 0, 0, 0, 0]);
  });

  it('multiplies the weights by a fractional mask before truncating, as verl does', () => {
    const half = Float32Array.from(batch.mask, (m) => m * 0.5);
    const result = computeRolloutCorrection({ ...batch, mask: half, mode: 'token-tis' });
    const expected = Array.from(half, (m, index) =>
      m === 0 ? 0 : Math.min(Math.exp(batch.logprobs[index]! - batch.rolloutLogprobs[index]!) * m, 2),
    );
    expectClose(result.weights, expected, { atol: 0, rtol: 6e-8 });
    // row 0 is no longer truncated (e^0.9 / 2 < 2); row 5 still is (e^5 / 2 > 2)
    expect(row(result.weights, 0).every((w) => w < 2)).toBe(true);
    expect(row(result.weights, 5)).toEqual([2, 2, 2, 2, 2]);
    expect([...result.mask]).toEqual([...computeRolloutCorrection({ ...batch, mode: 'token-tis' }).mask]);
  });

  it('names the metrics as verl logs them', () => {
    const result = computeRolloutCorrection({ ...batch, mode: 'sequence-tis-rejection', batchNormalize: true });
    const named = verlRolloutCorrectionMetrics(result.metrics);
    expect(named['rollout_corr/rollout_is_ratio_fraction_high']).toBe(result.metrics.importance!.fractionHigh);
    expect(named['rollout_corr/rollout_is_eff_sample_size']).toBe(result.metrics.importance!.effectiveSampleSize);
    expect(named['rollout_corr/rollout_is_batch_norm_factor']).toBe(result.metrics.importance!.batchNormFactor);
    expect(named['rollout_corr/rollout_rs_seq_masked_fraction']).toBe(result.metrics.rejection!.sequenceMaskedFraction);
    expect(named['rollout_corr/rollout_is_veto_fraction']).toBe(0);
    expect(named['rollout_corr/log_ppl_abs_diff']).toBe(result.metrics.offPolicy.logPplAbsDiff);
    expect(Object.keys(named)).toHaveLength(14 + 1 + 14 + 2 + 2 + 13);
    const metricsOnly = verlRolloutCorrectionMetrics(
      computeRolloutCorrection({ ...batch, mode: 'metrics-only' }).metrics,
    );
    expect(Object.keys(metricsOnly)).toHaveLength(2 + 13);
  });
});

describe('rollout correction settings', () => {
  it('fills in the mode defaults', () => {
    expect(resolveRolloutCorrectionSettings({ mode: 'geometric-rejection' })).toMatchObject({
      threshold: 1.001,
      rejectionThreshold: 1.001,
      rejectionThresholdLower: 1 / 1.001,
      vetoThreshold: 1e-4,
      batchNormalize: false,
    });
    expect(resolveRolloutCorrectionSettings({ mode: 'sequence-mis', threshold: 3 })).toMatchObject({
      threshold: 3,
      rejectionThreshold: 3,
      rejectionThresholdLower: 0,
      vetoThreshold: null,
    });
    expect(resolveRolloutCorrectionSettings({ mode: 'token-tis' }).threshold).toBe(2);
  });

  it('rejects bad knobs with the field path, before reading data', () => {
    const bad: [RolloutCorrectionSettings, string][] = [
      [
        { mode: 'token-tis', threshold: 0 },
        'config field "rolloutCorrection.threshold": must be a finite number > 0, got 0',
      ],
      [
        { mode: 'token-rejection', rejectionThreshold: Number.POSITIVE_INFINITY },
        'rolloutCorrection.rejectionThreshold',
      ],
      [
        { mode: 'token-rejection', threshold: 2, rejectionThresholdLower: 3 },
        'config field "rolloutCorrection.rejectionThresholdLower": must be in [0, rejectionThreshold = 2], got 3',
      ],
      [{ mode: 'geometric-rejection', vetoThreshold: -1 }, 'rolloutCorrection.vetoThreshold'],
      [{ mode: 'token-tis', batchNormalize: 'yes' as unknown as boolean }, 'rolloutCorrection.batchNormalize'],
    ];
    for (const [settings, message] of bad) {
      expect(() => resolveRolloutCorrectionSettings(settings)).toThrow(InvalidConfigError);
      expect(() => resolveRolloutCorrectionSettings(settings)).toThrow(message);
    }
    expect(() => resolveRolloutCorrectionSettings({ mode: 'token' as RolloutCorrectionMode })).toThrow(
      /unknown rollout correction mode "token" \(expected one of token-tis, sequence-tis/,
    );
  });

  it('rejects mismatched shapes and a mask that selects nothing', () => {
    const batch = batchOf(mixed.inputs);
    expect(() =>
      computeRolloutCorrection({ ...batch, rolloutLogprobs: new Float64Array(5), mode: 'token-tis' }),
    ).toThrow('field "rolloutLogprobs": expected 30 values');
    expect(() => computeRolloutCorrection({ ...batch, mask: new Uint8Array(30), mode: 'token-tis' })).toThrow(
      InvalidInputError,
    );
    expect(() => computeRolloutCorrection({ ...batch, mask: new Uint8Array(30), mode: 'token-tis' })).toThrow(
      'field "mask": selects no token',
    );
  });
});
