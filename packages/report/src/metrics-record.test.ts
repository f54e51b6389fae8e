import { describe, expect, it } from 'vitest';
import {
  isTrainingRecord,
  metricFields,
  metricSeries,
  normalizeMetricsRecord,
  orderMetricsRecords,
  type MetricsRecord,
} from './metrics-record';

describe('normalizeMetricsRecord', () => {
  it('flattens nested objects with / and keeps finite numbers only', () => {
    const record = normalizeMetricsRecord(
      {
        step: 3,
        reward: { mean: 0.4, std: 0.1, min: 'x', max: null },
        rewardComponents: { f1: 0.35, format: 0.9, nested: { deep: 2 } },
        kl: Number.NaN,
        entropy: 1.7,
        note: 'text',
        list: [1, 2],
        flag: true,
      },
      99,
    );
    expect(record).toEqual({
      step: 3,
      values: {
        'reward/mean': 0.4,
        'reward/std': 0.1,
        'rewardComponents/f1': 0.35,
        'rewardComponents/format': 0.9,
        'rewardComponents/nested/deep': 2,
        entropy: 1.7,
      },
    });
  });

  it('renames GrpoStepMetrics names to the canonical ones', () => {
    const record = normalizeMetricsRecord(
      {
        step: 1,
        rewardMean: 0.2,
        rewardStd: 0.3,
        klLoss: 0.001,
        pgClipFrac: 0.05,
        responseLength: 120,
        tokensPerSecond: 800,
        entropy: 2,
      },
      1,
    );
    expect(record.values).toEqual({
      'reward/mean': 0.2,
      'reward/std': 0.3,
      kl: 0.001,
      clipFraction: 0.05,
      'responseLength/mean': 120,
      'throughput/tokensPerSecond': 800,
      entropy: 2,
    });
  });

  it('lets the canonical field win over its alias, in either order', () => {
    expect(normalizeMetricsRecord({ klLoss: 5, kl: 1 }, 1).values).toEqual({ kl: 1 });
    expect(normalizeMetricsRecord({ kl: 1, klLoss: 5 }, 1).values).toEqual({ kl: 1 });
    expect(normalizeMetricsRecord({ reward: { mean: 0.5 }, rewardMean: 0.9 }, 1).values).toEqual({
      'reward/mean': 0.5,
    });
  });

  it('keeps a string kind and drops other non-numeric fields', () => {
    expect(
      normalizeMetricsRecord({ kind: 'eval', step: 10, time: '2025-01-01T00:00:00Z', reward: { mean: 0.5 } }, 1),
    ).toEqual({
      step: 10,
      kind: 'eval',
      values: { 'reward/mean': 0.5 },
    });
    expect(normalizeMetricsRecord({ kind: 3, step: 1 }, 1)).toEqual({ step: 1, values: {} });
    expect(
      [{ kind: 'train' }, {}, { kind: 'eval' }, { kind: 'run' }].map((raw) =>
        isTrainingRecord(normalizeMetricsRecord(raw, 1)),
      ),
    ).toEqual([true, true, false, false]);
  });

  it('uses the position when step is missing or not a number', () => {
    expect(normalizeMetricsRecord({ kl: 1 }, 7).step).toBe(7);
    expect(normalizeMetricsRecord({ step: '4', kl: 1 }, 2).step).toBe(2);
    expect(normalizeMetricsRecord({ step: 0 }, 2).step).toBe(0);
  });
});

describe('orderMetricsRecords and metricSeries', () => {
  const records: MetricsRecord[] = [
    { step: 2, values: { kl: 0.2 } },
    { step: 1, values: { kl: 0.1, entropy: 3 } },
    { step: 3, values: { entropy: 2.5 } },
    { step: 2, values: { kl: 0.25, entropy: 2.8 } },
  ];

  it('sorts by step and keeps the last record of a repeated step', () => {
    expect(orderMetricsRecords(records)).toEqual([
      { step: 1, values: { kl: 0.1, entropy: 3 } },
      { step: 2, values: { kl: 0.25, entropy: 2.8 } },
      { step: 3, values: { entropy: 2.5 } },
    ]);
  });

  it('gives the points of the steps that have the field', () => {
    const ordered = orderMetricsRecords(records);
    expect(metricSeries(ordered, 'kl')).toEqual([
      { x: 1, y: 0.1 },
      { x: 2, y: 0.25 },
    ]);
    expect(metricSeries(ordered, 'missing')).toEqual([]);
    expect(metricFields(ordered)).toEqual(['entropy', 'kl']);
  });
});
