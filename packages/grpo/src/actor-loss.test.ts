import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@research-ts/testing';
import type { FixtureArrays } from '../test/policy-loss-fixture';
import { readFixture } from '../test/read-fixture';
import { batchInputs, randomBatch } from '../test/random-batch';
import { computeActorLoss, researchActorLossDefaults, type ActorLossOptions } from './actor-loss';
import type { KlEstimator } from './kl-estimators';
import type { LossAggregation } from './loss-aggregation';

interface TorchCase {
  aggregation: LossAggregation;
  klEstimator: KlEstimator;
  style: 'verl' | 'trl';
  dualClip: number | null;
  clipLow: number;
  clipHigh: number;
  logRatioClamp: number | null;
  klCoefficient: number;
  entropyCoefficient: number;
  loss: number;
  pgLoss: number;
  klLoss: number;
  entropy: number;
  pgClipFrac: number;
  pgClipFracLower: number;
  ppoKl: number;
  gradLogprobs: number[];
  gradEntropies: number[];
}
interface TorchLosses extends FixtureArrays {
  advantages: number[];
  cases: TorchCase[];
}
interface SurrogateRow {
  advantage: number;
  logRatio: number;
  dualClip: number | null;
  value: number;
  gradient: number;
  clipped: boolean;
  clippedLower: boolean;
}
const torch = (await readFixture<{ torch: string; losses: TorchLosses }>('torch-reference.json')).losses;
const worked = await readFixture<{ surrogate: SurrogateRow[] }>('worked-values.json');

const allAggregations: LossAggregation[] = [
  { mode: 'token-mean' },
  { mode: 'token-mean', globalTokenCount: 50, dataParallelSize: 2 },
  { mode: 'seq-mean-token-sum' },
  { mode: 'seq-mean-token-mean' },
  { mode: 'seq-mean-token-mean', globalBatchSize: 8, dataParallelSize: 2 },
  { mode: 'seq-mean-token-sum-norm' },
  { mode: 'trl-grpo' },
  { mode: 'trl-bnpo' },
  { mode: 'trl-dr-grpo', maxCompletionLength: 12 },
  { mode: 'trl-dapo', globalTokenCount: 64, processCount: 2 },
];
const allEstimators: KlEstimator[] = ['k1', 'abs', 'k2', 'k3', 'k1+', 'abs+', 'k3+', 'k3-unclamped'];

describe('computeActorLoss against PyTorch autograd (float64)', () => {
  it(`has ${torch.cases.length} cases covering every aggregation and estimator`, () => {
    expect(new Set(torch.cases.map((c) => c.aggregation.mode)).size).toBe(8);
    expect(new Set(torch.cases.map((c) => c.klEstimator)).size).toBe(8);
  });

  it.each(torch.cases.map((c, index) => [index, c] as const))('case %i', (_, c) => {
    const result = computeActorLoss({
      logprobs: Float64Array.from(torch.logprobs),
      oldLogprobs: Float64Array.from(torch.oldLogprobs),
      refLogprobs: Float64Array.from(torch.refLogprobs),
      entropies: Float64Array.from(torch.entropies),
      mask: Uint8Array.from(torch.mask),
      advantages: Float64Array.from(torch.advantages),
      responseLength: torch.responseLength,
      aggregation: c.aggregation,
      klEstimator: c.klEstimator,
      ...(c.dualClip === null ? {} : { dualClip: c.dualClip }),
      clipLow: c.clipLow,
      clipHigh: c.clipHigh,
      logRatioClamp: c.logRatioClamp ?? Number.POSITIVE_INFINITY,
      klCoefficient: c.klCoefficient,
      entropyCoefficient: c.entropyCoefficient,
    });
    const label = `${c.style} ${c.aggregation.mode} ${c.klEstimator} dual=${c.dualClip}`;
    expectClose(result.loss, c.loss, { atol: 1e-12, rtol: 1e-12, label: `${label} loss` });
    expectClose(result.metrics.pgLoss, c.pgLoss, { atol: 1e-12, rtol: 1e-12, label: 'pgLoss' });
    expectClose(result.metrics.klLoss!, c.klLoss, { atol: 1e-12, rtol: 1e-12, label: 'klLoss' });
    expectClose(result.metrics.entropy!, c.entropy, { atol: 1e-12, rtol: 1e-12, label: 'entropy' });
    expectClose(result.metrics.pgClipFrac, c.pgClipFrac, { atol: 1e-15, label: 'pgClipFrac' });
    expectClose(result.metrics.pgClipFracLower, c.pgClipFracLower, { atol: 1e-15, label: 'pgClipFracLower' });
    expectClose(result.metrics.ppoKl, c.ppoKl, { atol: 1e-14, label: 'ppoKl' });
    // gradients are float32: one rounding of relative size 2^-24
    expectClose(result.gradLogprobs, c.gradLogprobs, { atol: 1e-15, rtol: 1.2e-7, label: `${label} gradLogprobs` });
    expectClose(result.gradEntropies, c.gradEntropies, { atol: 1e-15, rtol: 1.2e-7, label: `${label} gradEntropies` });
  });
});

// ------------------------------------------------------------------ a plain per-token reference

interface ReferenceOptions {
  aggregation: LossAggregation;
  klEstimator: KlEstimator;
  dualClip?: number;
  clipLow: number;
  clipHigh: number;
  klCoefficient: number;
  entropyCoefficient: number;
  perTokenAdvantages: boolean;
}

function referenceKl(estimator: KlEstimator, logprob: number, ref: number): number {
  const x = logprob - ref;
  switch (estimator) {
    case 'k1':
    case 'k1+':
      return x;
    case 'abs':
    case 'abs+':
      return Math.abs(x);
    case 'k2':
      return 0.5 * x * x;
    case 'k3':
    case 'k3+': {
      const d = Math.min(20, Math.max(-20, -x));
      return Math.min(10, Math.max(-10, Math.exp(d) - d - 1));
    }
    case 'k3-unclamped':
      return Math.exp(-x) + x - 1;
  }
}

/** Builds the per-token matrices with plain loops, then aggregates each with the formulas of research-paper §3.3/§4.3. */
function referenceLoss(batch: ReturnType<typeof randomBatch>, options: ReferenceOptions): number {
  const { responseLength: T, batch: B, mask } = batch;
  const pg: number[][] = [];
  const kl: number[][] = [];
  const entropy: number[][] = [];
  for (let i = 0; i < B; i++) {
    pg.push([]);
    kl.push([]);
    entropy.push([]);
    for (let t = 0; t < T; t++) {
      const k = i * T + t;
      const advantage = options.perTokenAdvantages ? batch.tokenAdvantages[k]! : batch.sequenceAdvantages[i]!;
      const ratio = Math.exp(Math.min(20, Math.max(-20, batch.logprobs[k]! - batch.oldLogprobs[k]!)));
      const clipped = Math.min(1 + options.clipHigh, Math.max(1 - options.clipLow, ratio));
      let loss = Math.max(-advantage * ratio, -advantage * clipped);
      if (options.dualClip !== undefined && advantage < 0) loss = Math.min(loss, -advantage * options.dualClip);
      pg[i]!.push(loss);
      kl[i]!.push(referenceKl(options.klEstimator, batch.logprobs[k]!, batch.refLogprobs[k]!));
      entropy[i]!.push(batch.entropies[k]!);
    }
  }
  const aggregate = (matrix: number[][]): number => {
    const sums = matrix.map((row, i) => row.reduce((sum, value, t) => sum + (mask[i * T + t] ? value : 0), 0));
    const counts = matrix.map((_, i) => mask.slice(i * T, (i + 1) * T).reduce((sum, m) => sum + m, 0));
    const total = sums.reduce((a, b) => a + b, 0);
    const tokens = counts.reduce((a, b) => a + b, 0);
    const nonEmpty = counts.filter((count) => count > 0).length;
    const a = options.aggregation;
    switch (a.mode) {
      case 'token-mean':
        return (total / (a.globalTokenCount ?? tokens)) * (a.dataParallelSize ?? 1);
      case 'seq-mean-token-sum':
        return (total / (a.globalBatchSize ?? nonEmpty)) * (a.dataParallelSize ?? 1);
      case 'seq-mean-token-mean': {
        const perSequence = sums.map((sum, i) => (counts[i]! > 0 ? sum / (counts[i]! + 1e-8) : 0));
        return (perSequence.reduce((x, y) => x + y, 0) / (a.globalBatchSize ?? nonEmpty)) * (a.dataParallelSize ?? 1);
      }
      case 'seq-mean-token-sum-norm':
        return total / (a.lossScaleFactor ?? T);
      case 'trl-grpo':
        return sums.map((sum, i) => sum / Math.max(1, counts[i]!)).reduce((x, y) => x + y, 0) / B;
      case 'trl-bnpo':
        return total / Math.max(1, tokens);
      case 'trl-dr-grpo':
        return total / (B * a.maxCompletionLength);
      case 'trl-dapo':
        return total / (a.globalTokenCount / (a.processCount ?? 1));
    }
  };
  return aggregate(pg) - options.entropyCoefficient * aggregate(entropy) + options.klCoefficient * aggregate(kl);
}

function configurations(): ReferenceOptions[] {
  const list: ReferenceOptions[] = [];
  let index = 0;
  for (const aggregation of allAggregations) {
    for (const klEstimator of allEstimators) {
      for (const dual of [false, true]) {
        index++;
        list.push({
          aggregation,
          klEstimator,
          ...(dual ? { dualClip: 3 } : {}),
          clipLow: 0.2,
          clipHigh: index % 3 === 0 ? 0.28 : 0.2,
          klCoefficient: index % 2 === 0 ? 0.001 : 0.3,
          entropyCoefficient: index % 4 === 0 ? 0 : 0.01,
          perTokenAdvantages: index % 5 === 0,
        });
      }
    }
  }
  return list;
}

function actorOptions(
  batch: ReturnType<typeof randomBatch>,
  options: ReferenceOptions,
  logprobs = batch.logprobs,
  entropies = batch.entropies,
) {
  return {
    ...batchInputs(batch, options.perTokenAdvantages),
    logprobs,
    entropies,
    aggregation: options.aggregation,
    klEstimator: options.klEstimator,
    ...(options.dualClip === undefined ? {} : { dualClip: options.dualClip }),
    clipLow: options.clipLow,
    clipHigh: options.clipHigh,
    klCoefficient: options.klCoefficient,
    entropyCoefficient: options.entropyCoefficient,
  } satisfies ActorLossOptions;
}

/** True when a ±h step of `logprob` could cross a kink of the surrogate or of the KL estimator. */
function nearKink(batch: ReturnType<typeof randomBatch>, options: ReferenceOptions, index: number, h: number): boolean {
  const logRatio = batch.logprobs[index]! - batch.oldLogprobs[index]!;
  const kinks = [Math.log(1 - options.clipLow), Math.log(1 + options.clipHigh), 20, -20];
  if (options.dualClip !== undefined) kinks.push(Math.log(options.dualClip));
  if (kinks.some((kink) => Math.abs(logRatio - kink) < 10 * h)) return true;
  const d = batch.refLogprobs[index]! - batch.logprobs[index]!;
  if (Math.abs(d) < 10 * h || Math.abs(Math.abs(d) - 20) < 10 * h) return true;
  return Math.abs(Math.expm1(d) - d - 10) < 1e-3;
}

describe('computeActorLoss: loop reference and finite differences on random batches', () => {
  const cases = configurations();

  it(`matches the per-token loop reference in ${cases.length} configurations`, () => {
    cases.forEach((options, index) => {
      const batch = randomBatch(100 + index);
      const label = `${options.aggregation.mode} ${options.klEstimator} dual=${options.dualClip}`;
      expectClose(computeActorLoss(actorOptions(batch, options)).loss, referenceLoss(batch, options), {
        atol: 1e-12,
        rtol: 1e-12,
        label,
      });
    });
  });

  it('gradLogprobs and gradEntropies match central differences (float64, h = 1e-6), skipping kinks', () => {
    const h = 1e-6;
    let checked = 0;
    let skipped = 0;
    cases.forEach((options, index) => {
      const batch = randomBatch(500 + index);
      const straightThrough = options.klEstimator.endsWith('+');
      // A straight-through estimator's gradient is not the derivative of its value; check it as k2's.
      const gradientOptions: ReferenceOptions = straightThrough ? { ...options, klEstimator: 'k2' } : options;
      const result = computeActorLoss(actorOptions(batch, options));
      if (straightThrough) {
        const k2 = computeActorLoss(actorOptions(batch, gradientOptions));
        expect([...result.gradLogprobs]).toEqual([...k2.gradLogprobs]);
      }
      const lossAt = (logprobs: Float64Array, entropies: Float64Array) =>
        computeActorLoss(actorOptions(batch, gradientOptions, logprobs, entropies)).loss;
      for (let k = 0; k < batch.logprobs.length; k++) {
        const label = `${options.aggregation.mode} ${options.klEstimator} dual=${options.dualClip} token ${k}`;
        if (batch.mask[k] === 0) {
          expect(result.gradLogprobs[k], label).toBe(0);
          expect(result.gradEntropies[k], label).toBe(0);
          continue;
        }
        const entropiesUp = batch.entropies.slice();
        const entropiesDown = batch.entropies.slice();
        entropiesUp[k] = batch.entropies[k]! + h;
        entropiesDown[k] = batch.entropies[k]! - h;
        const numericEntropy = (lossAt(batch.logprobs, entropiesUp) - lossAt(batch.logprobs, entropiesDown)) / (2 * h);
        expectClose(result.gradEntropies[k]!, numericEntropy, { atol: 1e-8, rtol: 1e-5, label: `${label} entropy` });
        if (nearKink(batch, options, k, h)) {
          skipped++;
          continue;
        }
        const up = batch.logprobs.slice();
        const down = batch.logprobs.slice();
        up[k] = batch.logprobs[k]! + h;
        down[k] = batch.logprobs[k]! - h;
        const numeric = (lossAt(up, batch.entropies) - lossAt(down, batch.entropies)) / (2 * h);
        expectClose(result.gradLogprobs[k]!, numeric, { atol: 1e-8, rtol: 1e-5, label });
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(3000);
    expect(skipped).toBeLessThan(checked / 20);
  });

  it('per-sequence advantages equal the same advantages broadcast per token', () => {
    const batch = randomBatch(7);
    const options = configurations()[0]!;
    const perSequence = computeActorLoss(actorOptions(batch, options));
    const broadcast = batch.sequenceAdvantages.length;
    const perToken = computeActorLoss({
      ...actorOptions(batch, options),
      advantages: Float64Array.from(
        { length: batch.logprobs.length },
        (_, k) => batch.sequenceAdvantages[Math.floor(k / batch.responseLength)]!,
      ),
    });
    expect(broadcast).toBe(5);
    expect(perToken.loss).toBe(perSequence.loss);
    expect([...perToken.gradLogprobs]).toEqual([...perSequence.gradLogprobs]);
  });
});

describe('clipped surrogate and dual clip: worked table (one token, weight 1)', () => {
  it.each(worked.surrogate)('A=$advantage log r=$logRatio c=$dualClip → $value', (row) => {
    const result = computeActorLoss({
      logprobs: Float64Array.from([-1 + row.logRatio]),
      oldLogprobs: Float64Array.from([-1]),
      advantages: Float64Array.from([row.advantage]),
      mask: Uint8Array.from([1]),
      responseLength: 1,
      klCoefficient: 0,
      entropyCoefficient: 0,
      ...(row.dualClip === null ? {} : { dualClip: row.dualClip }),
    });
    // logprob = −1 + logRatio rounds; allow that rounding (relative 1e-15 of the ratio, times e^20 at the clamp)
    expectClose(result.loss, row.value, { atol: 1e-12, rtol: 1e-9, label: 'value' });
    expectClose(result.gradLogprobs[0]!, row.gradient, { atol: 1e-12, rtol: 1e-6, label: 'gradient' });
    expect(result.metrics.pgClipFrac).toBe(row.clipped ? 1 : 0);
    expect(result.metrics.pgClipFracLower).toBe(row.clippedLower ? 1 : 0);
  });

  it('by hand: inside the trust region the gradient is −A·r/N; outside it is 0 on the flat side', () => {
    const logprobs = Float64Array.from([-1, -1, -1, -1]);
    const oldLogprobs = Float64Array.from([-1, -1.1, -0.5, -1.5]); // ratios 1, e^0.1, e^-0.5, e^0.5
    const result = computeActorLoss({
      logprobs,
      oldLogprobs,
      advantages: Float64Array.from([2, 2, 2, 2]),
      mask: Uint8Array.from([1, 1, 1, 1]),
      responseLength: 4,
      klCoefficient: 0,
      entropyCoefficient: 0,
    });
    // A > 0: r = e^0.5 > 1.2 is clipped (flat); r = e^-0.5 < 0.8 is not (the unclipped term is larger)
    expectClose(result.gradLogprobs, [-2 / 4, (-2 * Math.exp(0.1)) / 4, (-2 * Math.exp(-0.5)) / 4, 0], { rtol: 1e-7 });
    expectClose(result.loss, (-2 - 2 * Math.exp(0.1) - 2 * Math.exp(-0.5) - 2 * 1.2) / 4, { atol: 1e-15 });
    expect(result.metrics.pgClipFrac).toBe(0.25);
    expectClose(result.metrics.ppoKl, -(0 + 0.1 - 0.5 + 0.5) / 4, { atol: 1e-15 });
  });

  it('clamps the log ratio at ±20 (gradient passes at exactly 20, stops beyond); Infinity turns the clamp off', () => {
    const base = {
      oldLogprobs: Float64Array.from([-21, -22]),
      advantages: Float64Array.from([-1]),
      mask: Uint8Array.from([1, 1]),
    };
    const options = {
      ...base,
      logprobs: Float64Array.from([-1, -1]),
      responseLength: 2,
      klCoefficient: 0,
      entropyCoefficient: 0,
    };
    const clamped = computeActorLoss(options);
    expectClose(clamped.gradLogprobs, [Math.exp(20) / 2, 0], { rtol: 1e-7 });
    expectClose(clamped.loss, Math.exp(20), { rtol: 1e-14 }); // both tokens at ratio e^20
    const unclamped = computeActorLoss({ ...options, logRatioClamp: Number.POSITIVE_INFINITY });
    expectClose(unclamped.gradLogprobs, [Math.exp(20) / 2, Math.exp(21) / 2], { rtol: 1e-7 });
  });
});

describe('computeActorLoss: entropy and KL terms by hand', () => {
  it('adds −c_H·agg(entropy) and c_KL·agg(k3) with the same aggregation', () => {
    const common = {
      logprobs: Float64Array.from([-1, -2, -0.5, -3]),
      oldLogprobs: Float64Array.from([-1, -2, -0.5, -3]),
      refLogprobs: Float64Array.from([-1.5, -1.2, -0.5, -3]),
      entropies: Float64Array.from([1, 2, 3, 4]),
      advantages: Float64Array.from([1, -1]),
      mask: Uint8Array.from([1, 1, 1, 0]),
      responseLength: 2,
    };
    const result = computeActorLoss({
      ...common,
      klCoefficient: 0.1,
      entropyCoefficient: 0.01,
      aggregation: { mode: 'seq-mean-token-sum' },
    });
    const k3 = (d: number) => Math.exp(d) - d - 1;
    // seq-mean-token-sum over 2 non-empty rows: pg = (−1 − 1 + 1)/2, entropy = (1 + 2 + 3)/2, kl = (k3(−0.5) + k3(0.8) + 0)/2
    const pg = -0.5;
    const entropy = 3;
    const kl = (k3(-0.5) + k3(0.8)) / 2;
    expectClose(result.metrics.pgLoss, pg, { atol: 1e-15 });
    expectClose(result.metrics.entropy!, entropy, { atol: 1e-15 });
    expectClose(result.metrics.klLoss!, kl, { atol: 1e-15 });
    expectClose(result.loss, pg - 0.01 * entropy + 0.1 * kl, { atol: 1e-15 });
    expectClose(result.gradEntropies, [-0.005, -0.005, -0.005, 0], { rtol: 1e-7 });
    expectClose(
      result.gradLogprobs,
      [(-1 + 0.1 * (1 - Math.exp(-0.5))) / 2, (-1 + 0.1 * (1 - Math.exp(0.8))) / 2, (1 + 0) / 2, 0],
      {
        rtol: 1e-7,
      },
    );
    expect(result.metrics).toMatchObject({ tokenCount: 3, sequenceCount: 2, nonFiniteTokenCount: 0, isFinite: true });
    expectClose(result.metrics.advantageMean, 1 / 3, { atol: 1e-15 });
    expectClose(result.metrics.advantageStd, Math.sqrt(((2 / 3) ** 2 * 2 + (4 / 3) ** 2) / 2), { atol: 1e-15 });
    expect([result.metrics.advantageMin, result.metrics.advantageMax]).toEqual([-1, 1]);
    expect([result.metrics.ratioMin, result.metrics.ratioMean, result.metrics.ratioMax]).toEqual([1, 1, 1]);
  });

  it("uses ReSearch's recipe by default: clip 0.2, no dual clip, k3 at 0.001, entropy 0.001, token-mean", () => {
    const batch = randomBatch(3);
    // token 0: A < 0 and ratio e^2 > 3, where a dual clip would bite
    batch.mask[0] = 1;
    batch.sequenceAdvantages[0] = -1;
    batch.oldLogprobs[0] = batch.logprobs[0]! - 2;
    const common = batchInputs(batch);
    const explicit = computeActorLoss({
      ...common,
      clipLow: 0.2,
      clipHigh: 0.2,
      logRatioClamp: 20,
      klEstimator: 'k3',
      klCoefficient: 0.001,
      entropyCoefficient: 0.001,
      aggregation: { mode: 'token-mean' },
    });
    expect(computeActorLoss(common)).toEqual(explicit);
    expect(researchActorLossDefaults).toMatchObject({
      klEstimator: 'k3',
      klCoefficient: 0.001,
      entropyCoefficient: 0.001,
    });
    expect(computeActorLoss({ ...common, dualClip: 3 }).loss).not.toBe(explicit.loss);
  });

  it('reuses preallocated outputs and overwrites stale values', () => {
    const batch = randomBatch(4);
    const options = actorOptions(batch, configurations()[3]!);
    const fresh = computeActorLoss(options);
    const gradLogprobs = new Float32Array(batch.logprobs.length).fill(99);
    const gradEntropies = new Float32Array(batch.logprobs.length).fill(99);
    const reused = computeActorLoss({ ...options, out: { gradLogprobs, gradEntropies } });
    expect(reused.gradLogprobs).toBe(gradLogprobs);
    expect([...gradLogprobs]).toEqual([...fresh.gradLogprobs]);
    expect([...gradEntropies]).toEqual([...fresh.gradEntropies]);
  });
});

describe('computeActorLoss: non-finite inputs', () => {
  const base = () => {
    const batch = randomBatch(11, 3, 4);
    batch.mask.fill(1);
    batch.mask[5] = 0;
    return { batch, options: actorOptions(batch, { ...configurations()[6]!, perTokenAdvantages: false }) };
  };

  it('ignores NaN on masked-out tokens', () => {
    const { batch, options } = base();
    const clean = computeActorLoss(options);
    for (const array of [batch.logprobs, batch.oldLogprobs, batch.refLogprobs, batch.entropies]) array[5] = Number.NaN;
    const poisoned = computeActorLoss(options);
    expect(poisoned.loss).toBe(clean.loss);
    expect(poisoned.metrics).toMatchObject({ nonFiniteTokenCount: 0, isFinite: true });
  });

  it.each(['logprobs', 'oldLogprobs', 'refLogprobs', 'entropies'] as const)(
    'reports a NaN in %s on a token in the loss',
    (field) => {
      const { batch, options } = base();
      batch[field][2] = Number.NaN;
      const result = computeActorLoss(options);
      expect(result.metrics.nonFiniteTokenCount).toBe(1);
      expect(result.metrics.isFinite).toBe(false);
      expect(Number.isNaN(result.loss)).toBe(true);
    },
  );

  it('reports an infinite advantage over every token of its sequence', () => {
    const { batch, options } = base();
    batch.sequenceAdvantages[2] = Number.POSITIVE_INFINITY;
    const result = computeActorLoss(options);
    expect(result.metrics.nonFiniteTokenCount).toBe(4);
    expect(result.metrics.isFinite).toBe(false);
  });

  it('reports an overflowing unclamped ratio', () => {
    const { batch, options } = base();
    batch.oldLogprobs[0] = -1e6;
    expect(computeActorLoss({ ...options, logRatioClamp: Number.POSITIVE_INFINITY }).metrics.isFinite).toBe(false);
    expect(computeActorLoss(options).metrics.isFinite).toBe(true);
  });
});

describe('computeActorLoss: validation', () => {
  const batch = randomBatch(5, 2, 3);
  const options = actorOptions(batch, configurations()[0]!);

  it('rejects shapes that do not match [batch, responseLength]', () => {
    expect(() => computeActorLoss({ ...options, oldLogprobs: new Float64Array(5) })).toThrow(InvalidInputError);
    expect(() => computeActorLoss({ ...options, oldLogprobs: new Float64Array(5) })).toThrow(
      'field "oldLogprobs": expected 6 values ([batch, responseLength]), got 5',
    );
    expect(() => computeActorLoss({ ...options, advantages: new Float64Array(4) })).toThrow(
      'field "advantages": expected 2 ([batch]) or 6 ([batch, responseLength]) values, got 4',
    );
    expect(() => computeActorLoss({ ...options, responseLength: 4 })).toThrow(
      'length 6 is not a multiple of responseLength 4',
    );
    expect(() => computeActorLoss({ ...options, out: { gradLogprobs: new Float32Array(3) } })).toThrow(
      'field "out.gradLogprobs"',
    );
  });

  it('demands the reference and the entropies only when their coefficients are not 0', () => {
    const { refLogprobs: _ref, entropies: _entropies, ...bare } = options;
    expect(() => computeActorLoss({ ...bare, entropyCoefficient: 0 })).toThrow(
      'field "refLogprobs": refLogprobs are required when klCoefficient ≠ 0 (pass klCoefficient: 0 to train without a reference)',
    );
    expect(() => computeActorLoss({ ...bare, klCoefficient: 0 })).toThrow(
      'entropies are required when entropyCoefficient ≠ 0',
    );
    const result = computeActorLoss({ ...bare, klCoefficient: 0, entropyCoefficient: 0 });
    expect(result.metrics.klLoss).toBeUndefined();
    expect(result.metrics.entropy).toBeUndefined();
    expect([...result.gradEntropies].every((value) => value === 0)).toBe(true);
  });

  it('rejects bad settings with the config path', () => {
    const bad: [Partial<ActorLossOptions>, string][] = [
      [{ dualClip: 1 }, 'config field "dualClip": must be > 1 (verl asserts clip_ratio_c > 1), got 1'],
      [{ clipLow: 1 }, 'config field "clipLow": must be in [0, 1), got 1'],
      [{ clipHigh: -0.1 }, 'config field "clipHigh"'],
      [{ logRatioClamp: 0 }, 'config field "logRatioClamp"'],
      [{ klCoefficient: Number.NaN }, 'config field "klCoefficient": must be finite, got NaN'],
      [{ klEstimator: 'kl' as KlEstimator }, 'unknown KL estimator "kl"'],
    ];
    for (const [override, message] of bad) {
      expect(() => computeActorLoss({ ...options, ...override })).toThrow(message);
    }
    expect(() => computeActorLoss({ ...options, dualClip: 0.5 })).toThrow(InvalidConfigError);
  });
});
