import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { aggregateLoss, aggregationModes, computeAggregationWeights, type LossAggregation } from './loss-aggregation';

interface AggregationFixture {
  aggregation: {
    losses: number[][];
    mask: number[][];
    responseLength: number;
    table: { aggregation: LossAggregation; value: number }[];
  };
}
const worked = await readFixture<AggregationFixture>('worked-values.json');
const { losses, mask, responseLength, table } = worked.aggregation;
const values = Float64Array.from(losses.flat());
const maskArray = Uint8Array.from(mask.flat());

describe('aggregateLoss worked table', () => {
  it('covers every mode', () => {
    expect(new Set(table.map((row) => row.aggregation.mode))).toEqual(new Set(Object.keys(aggregationModes)));
  });

  it.each(table)('$aggregation.mode $aggregation', ({ aggregation, value }) => {
    expectClose(aggregateLoss(values, maskArray, responseLength, aggregation), value, { atol: 1e-12, rtol: 1e-12 });
  });

  it('by hand: token-mean and seq-mean-token-mean of the 4×4 table', () => {
    // row sums over the mask: 1.5, 1.5, 0 (empty row), −0.5; 8 tokens; 3 non-empty rows
    expect(aggregateLoss(values, maskArray, 4, { mode: 'token-mean' })).toBeCloseTo(2.5 / 8, 15);
    expect(aggregateLoss(values, maskArray, 4, { mode: 'seq-mean-token-mean' })).toBeCloseTo(
      (1.5 / 3 + 1.5 / 1 - 0.5 / 4) / 3,
      7,
    );
    expect(aggregateLoss(values, maskArray, 4, { mode: 'trl-grpo' })).toBeCloseTo(
      (1.5 / 3 + 1.5 / 1 + 0 - 0.5 / 4) / 4,
      15,
    );
  });

  it('never reads masked-out tokens (a NaN there stays out)', () => {
    const poisoned = values.slice();
    poisoned[3] = Number.NaN;
    poisoned[9] = Number.NaN;
    for (const { aggregation, value } of table)
      expectClose(aggregateLoss(poisoned, maskArray, 4, aggregation), value, { atol: 1e-12, rtol: 1e-12 });
  });

  it('returns 0 for an all-masked batch in the verl modes (verl returns loss × 0)', () => {
    const empty = new Uint8Array(16);
    for (const mode of ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'trl-grpo', 'trl-bnpo'] as const) {
      expect(aggregateLoss(values, empty, 4, { mode })).toBe(0);
    }
  });

  it('weights tokens by a fractional mask', () => {
    const half = Float32Array.from(mask.flat().map((m) => m * 0.5));
    // token-mean is invariant to a uniform mask scale; seq-mean-token-sum halves
    expect(aggregateLoss(values, half, 4, { mode: 'token-mean' })).toBeCloseTo(2.5 / 8, 15);
    expect(aggregateLoss(values, half, 4, { mode: 'seq-mean-token-sum' })).toBeCloseTo(1.25 / 3, 15);
  });
});

describe('computeAggregationWeights', () => {
  it('gives the gradient of the aggregate w.r.t. each token loss', () => {
    const { rowWeights, rowMaskSums } = computeAggregationWeights(maskArray, 4, { mode: 'seq-mean-token-mean' });
    expect([...rowMaskSums]).toEqual([3, 1, 0, 4]);
    expectClose(rowWeights, [1 / (3 * (3 + 1e-8)), 1 / (3 * (1 + 1e-8)), 0, 1 / (3 * (4 + 1e-8))], { atol: 1e-15 });
  });

  it('rejects bad options with the field path', () => {
    const bad: [LossAggregation, string][] = [
      [
        { mode: 'token-mean', globalTokenCount: 0 },
        'config field "aggregation.globalTokenCount": must be a finite number > 0, got 0',
      ],
      [
        { mode: 'token-mean', dataParallelSize: 1.5 },
        'config field "aggregation.dataParallelSize": must be an integer ≥ 1, got 1.5',
      ],
      [{ mode: 'seq-mean-token-sum-norm', lossScaleFactor: -1 }, 'aggregation.lossScaleFactor'],
      [{ mode: 'trl-dr-grpo', maxCompletionLength: 0 }, 'aggregation.maxCompletionLength'],
      [{ mode: 'trl-dapo', globalTokenCount: Number.NaN }, 'aggregation.globalTokenCount'],
      [{ mode: 'trl-dapo', globalTokenCount: 10, processCount: 0 }, 'aggregation.processCount'],
    ];
    for (const [aggregation, message] of bad) {
      expect(() => aggregateLoss(values, maskArray, 4, aggregation)).toThrow(InvalidConfigError);
      expect(() => aggregateLoss(values, maskArray, 4, aggregation)).toThrow(message);
    }
    expect(() => aggregateLoss(values, maskArray, 4, { mode: 'mean' } as unknown as LossAggregation)).toThrow(
      'unknown aggregation mode "mean"',
    );
    expect(() => aggregateLoss(values, new Uint8Array(12), 4, { mode: 'token-mean' })).toThrow(
      'field "mask": expected 16 values',
    );
  });
});
