import { aggregateLoss, aggregationModes, type LossAggregation } from '@research-ts/grpo';
import { describe, expect, it } from 'vitest';
import { expectClose, seededRandom } from '@research-ts/testing';
import { globalAggregation, globalLossAggregation } from './global-aggregation';

const batch = 9;
const responseLength = 6;

/** A random `[batch, responseLength]` loss matrix and mask, with one empty row. */
function randomLosses(seed: number) {
  const random = seededRandom(seed);
  const values = Float64Array.from({ length: batch * responseLength }, () => random() * 4 - 2);
  const mask = Uint8Array.from({ length: batch * responseLength }, (_, index) =>
    Math.floor(index / responseLength) === 4 ? 0 : random() < 0.7 ? 1 : 0,
  );
  return { values, mask };
}

/**
 * Rows `rows` of the batch as a micro-batch of width `width ≥ responseLength`, each row shifted right
 * by its own offset (as a prompt shifts the response in score positions), zeros elsewhere.
 */
function microBatch(values: Float64Array, mask: Uint8Array, rows: number[], width: number, random: () => number) {
  const microValues = new Float64Array(rows.length * width).fill(Number.NaN);
  const microMask = new Uint8Array(rows.length * width);
  rows.forEach((row, index) => {
    const shift = Math.floor(random() * (width - responseLength + 1));
    for (let t = 0; t < responseLength; t++) {
      microValues[index * width + shift + t] = values[row * responseLength + t]!;
      microMask[index * width + shift + t] = mask[row * responseLength + t]!;
    }
  });
  return { microValues, microMask };
}

const modes: LossAggregation[] = [
  { mode: 'token-mean' },
  { mode: 'token-mean', dataParallelSize: 2 },
  { mode: 'seq-mean-token-sum' },
  { mode: 'seq-mean-token-mean' },
  { mode: 'seq-mean-token-sum-norm' },
  { mode: 'seq-mean-token-sum-norm', lossScaleFactor: 10 },
  { mode: 'trl-grpo' },
  { mode: 'trl-bnpo' },
  { mode: 'trl-dr-grpo', maxCompletionLength: 8 },
  { mode: 'trl-dapo', globalTokenCount: 30 },
];

describe('globalAggregation', () => {
  it('covers every aggregation mode', () => {
    expect(new Set(modes.map((aggregation) => aggregation.mode))).toEqual(new Set(Object.keys(aggregationModes)));
  });

  for (const aggregation of modes) {
    it(`${JSON.stringify(aggregation)}: micro-batch losses add up to the full-batch loss`, () => {
      for (let seed = 1; seed <= 5; seed++) {
        const { values, mask } = randomLosses(seed);
        const expected = aggregateLoss(values, mask, responseLength, aggregation);
        let tokens = 0;
        let sequences = 0;
        for (let row = 0; row < batch; row++) {
          let rowTokens = 0;
          for (let t = 0; t < responseLength; t++) rowTokens += mask[row * responseLength + t]!;
          tokens += rowTokens;
          if (rowTokens > 0) sequences++;
        }
        const global = globalAggregation(aggregation, {
          lossTokenCount: tokens,
          lossSequenceCount: sequences,
          sequenceCount: batch,
          maxResponseLength: responseLength,
        });
        const random = seededRandom(seed * 101);
        const order = Array.from({ length: batch }, (_, row) => row).sort(() => random() - 0.5);
        let total = 0;
        for (let start = 0; start < batch;) {
          const size = 1 + Math.floor(random() * 4);
          const rows = order.slice(start, start + size);
          start += size;
          const width = responseLength + Math.floor(random() * 5);
          const { microValues, microMask } = microBatch(values, mask, rows, width, random);
          total += aggregateLoss(microValues, microMask, width, global);
        }
        // trl-grpo's 1/max(1, n) becomes 1/(n + 1e-8): 1e-8 relative
        expectClose(total, expected, {
          atol: 1e-14,
          rtol: aggregation.mode === 'trl-grpo' ? 2e-8 : 1e-13,
          label: `seed ${seed}`,
        });
      }
    });
  }

  it('fixes each normaliser to the batch value and keeps one the caller gave', () => {
    const totals = { lossTokenCount: 40, lossSequenceCount: 7, sequenceCount: 8, maxResponseLength: 12 };
    expect(globalAggregation({ mode: 'token-mean' }, totals)).toEqual({ mode: 'token-mean', globalTokenCount: 40 });
    expect(globalAggregation({ mode: 'token-mean', globalTokenCount: 99 }, totals)).toEqual({
      mode: 'token-mean',
      globalTokenCount: 99,
    });
    expect(globalAggregation({ mode: 'seq-mean-token-mean' }, totals)).toEqual({
      mode: 'seq-mean-token-mean',
      globalBatchSize: 7,
    });
    expect(globalAggregation({ mode: 'seq-mean-token-sum-norm' }, totals)).toEqual({
      mode: 'seq-mean-token-sum-norm',
      lossScaleFactor: 12,
    });
    expect(globalAggregation({ mode: 'trl-bnpo' }, totals)).toEqual({ mode: 'token-mean', globalTokenCount: 40 });
    expect(globalAggregation({ mode: 'trl-dr-grpo', maxCompletionLength: 16 }, totals)).toEqual({
      mode: 'seq-mean-token-sum-norm',
      lossScaleFactor: 128,
    });
    expect(globalAggregation({ mode: 'trl-grpo' }, totals)).toEqual({
      mode: 'seq-mean-token-mean',
      globalBatchSize: 8,
    });
    // no tokens at all: the local counts are 0 too, and every mode gives loss 0
    expect(globalAggregation({ mode: 'token-mean' }, { ...totals, lossTokenCount: 0 })).toEqual({
      mode: 'token-mean',
      globalTokenCount: undefined,
    });
  });
});

describe('globalLossAggregation', () => {
  const totals = { lossTokenCount: 40, lossSequenceCount: 7, sequenceCount: 8, maxResponseLength: 12 };

  it('adds the batch’s sequence count for a loss that aggregates its surrogate per sequence', () => {
    // vanilla and the other token-level losses: the aggregation option alone, as globalAggregation fixes it
    for (const policyLoss of ['vanilla', 'dapo', 'cispo', 'clip-cov', 'kl-cov'] as const) {
      expect(globalLossAggregation({ mode: 'token-mean' }, totals, policyLoss)).toEqual({
        mode: 'token-mean',
        globalTokenCount: 40,
      });
    }
    // gspo, sapo: seq-mean-token-mean over the sequences with a loss token; geo-mean: a mean over every sequence
    expect(globalLossAggregation({ mode: 'token-mean' }, totals, 'gspo')).toEqual({
      mode: 'token-mean',
      globalTokenCount: 40,
      globalBatchSize: 7,
    });
    expect(globalLossAggregation({ mode: 'seq-mean-token-sum-norm' }, totals, 'sapo')).toEqual({
      mode: 'seq-mean-token-sum-norm',
      lossScaleFactor: 12,
      globalBatchSize: 7,
    });
    expect(globalLossAggregation({ mode: 'token-mean' }, totals, 'geo-mean')).toEqual({
      mode: 'token-mean',
      globalTokenCount: 40,
      globalBatchSize: 8,
    });
    // a mode that carries a batch size already keeps it (the KL and entropy terms read the same one)
    expect(globalLossAggregation({ mode: 'seq-mean-token-mean' }, totals, 'geo-mean')).toEqual({
      mode: 'seq-mean-token-mean',
      globalBatchSize: 7,
    });
  });
});
