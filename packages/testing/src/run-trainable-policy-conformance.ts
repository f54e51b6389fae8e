import {
  adamWConstants,
  applyAdamW,
  gradClipCoefficient,
  sumOfSquares,
  type AdamWMoments,
  type ParameterUpdate,
  type TokenBatch,
  type TokenScoreGradients,
  type TrainablePolicy,
} from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lcgRandom, sameArrayBits } from './expect-close';

export interface TrainablePolicyConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  createPolicy: () => TrainablePolicy | Promise<TrainablePolicy>;
  disposePolicy?: (policy: TrainablePolicy) => Promise<void> | void;
  /** The default batches use token ids below this (default 8). */
  vocabSize?: number;
  /** Two batches to train on (default: two seeded batches of different shapes, one with padding). */
  batches?: readonly [TokenBatch, TokenBatch];
  /**
   * Relative tolerance (default 1e-5) of the comparisons with a host computation: gradients against the
   * largest gradient of their tensor, updates against the largest change of their tensor.
   */
  relativeTolerance?: number;
}

/** What each check gets: the policy, the two batches and their upstream gradients, the tolerance. */
export interface TrainablePolicyConformanceContext {
  policy: TrainablePolicy;
  batches: readonly [TokenBatch, TokenBatch];
  /** Seeded upstream gradients of each batch, 0 on padding. */
  upstream: readonly [TokenScoreGradients, TokenScoreGradients];
  relativeTolerance: number;
  /** Ends the check as skipped, with the reason (vitest's `context.skip`). */
  skip: (note: string) => never;
}

export interface TrainablePolicyConformanceCheck {
  name: string;
  run: (context: TrainablePolicyConformanceContext) => Promise<void>;
}

/** The update of the checks: AdamW with PyTorch's defaults but a large learning rate, no clipping. */
const baseUpdate: ParameterUpdate = {
  learningRate: 1e-2,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: Number.POSITIVE_INFINITY,
};

/** Two batches of different shapes: `[2, 6]` with three padding positions in its second row, and `[1, 5]`. */
export function defaultConformanceBatches(vocabSize: number): [TokenBatch, TokenBatch] {
  const random = lcgRandom(17);
  const batch = (rows: number, length: number, realLengths: number[]): TokenBatch => {
    const inputIds = new Int32Array(rows * length);
    const attentionMask = new Uint8Array(rows * length);
    realLengths.forEach((real, row) => {
      for (let t = 0; t < real; t++) {
        inputIds[row * length + t] = Math.floor(random() * vocabSize);
        attentionMask[row * length + t] = 1;
      }
    });
    return { inputIds, attentionMask, batch: rows, length };
  };
  return [batch(2, 6, [6, 3]), batch(1, 5, [5])];
}

/** Seeded upstream gradients of a batch: a mean-loss scale on real score positions, 0 where a token is padding. */
function upstreamOf(batch: TokenBatch, seed: number): TokenScoreGradients {
  const random = lcgRandom(seed);
  const size = batch.batch * (batch.length - 1);
  const gradLogprobs = new Float32Array(size);
  const gradEntropies = new Float32Array(size);
  for (let row = 0; row < batch.batch; row++) {
    for (let t = 0; t + 1 < batch.length; t++) {
      const at = row * batch.length + t;
      if (batch.attentionMask[at] === 0 || batch.attentionMask[at + 1] === 0) continue;
      gradLogprobs[row * (batch.length - 1) + t] = (random() * 2 - 1) / size;
      gradEntropies[row * (batch.length - 1) + t] = ((random() * 2 - 1) * 0.1) / size;
    }
  }
  return { gradLogprobs, gradEntropies };
}

/** Builds the context of the checks (what `runTrainablePolicyConformance` gives each check). */
export function trainablePolicyConformanceContext(
  policy: TrainablePolicy,
  options: Pick<TrainablePolicyConformanceOptions, 'vocabSize' | 'batches' | 'relativeTolerance'> = {},
  skip: (note: string) => never = (note) => {
    throw new Error(`skipped: ${note}`);
  },
): TrainablePolicyConformanceContext {
  const batches = options.batches ?? defaultConformanceBatches(options.vocabSize ?? 8);
  return {
    policy,
    batches,
    upstream: [upstreamOf(batches[0], 5), upstreamOf(batches[1], 6)],
    relativeTolerance: options.relativeTolerance ?? 1e-5,
    skip,
  };
}

/** Zero accumulators and a fresh optimizer: every check starts here. */
async function reset(policy: TrainablePolicy): Promise<void> {
  await policy.zeroGradients();
  await policy.loadOptimizerState({});
}

/** A tensor's gradient, zeros when the policy returned none for it. */
function gradientOf(gradients: ReadonlyMap<string, Float32Array>, name: string, size: number): Float32Array {
  return gradients.get(name) ?? new Float32Array(size);
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let index = 0; index < values.length; index++) max = Math.max(max, Math.abs(values[index]!));
  return max;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let index = 0; index < a.length; index++) {
    const difference = Math.abs(a[index]! - b[index]!);
    max = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : Math.max(max, difference);
  }
  return max;
}

/** `actual` equals `expected` to `rtol` of `expected`'s largest magnitude, reporting the largest difference. */
function expectCloseArray(actual: Float32Array | undefined, expected: Float32Array, rtol: number, label: string): void {
  expect(actual instanceof Float32Array, `${label}: not a Float32Array`).toBe(true);
  expect(actual!.length, `${label}: length`).toBe(expected.length);
  const difference = maxDifference(actual!, expected);
  const allowed = rtol * maxAbs(expected);
  expect(
    difference <= allowed,
    `${label}: max |difference| ${difference} > ${allowed} (${rtol} × the largest magnitude)`,
  ).toBe(true);
}

/** Updated parameters equal the expected ones to `rtol` of the largest change (plus a float32 rounding of the value). */
function expectCloseUpdate(
  actual: Float32Array | undefined,
  expected: Float32Array,
  before: Float32Array,
  rtol: number,
  label: string,
): void {
  expect(actual?.length, `${label}: length`).toBe(expected.length);
  const change = maxDifference(expected, before);
  const allowed = rtol * change + 2 ** -23 * maxAbs(expected);
  const difference = maxDifference(actual!, expected);
  expect(
    difference <= allowed,
    `${label}: max |difference| ${difference} from the host update > ${allowed} (${rtol} × the largest change ${change})`,
  ).toBe(true);
}

function expectZeroGradients(gradients: ReadonlyMap<string, Float32Array>, label: string): void {
  for (const [name, gradient] of gradients) expect(maxAbs(gradient), `${label}: ${name} is not zero`).toBe(0);
}

/** The global L2 norm of the gradients of `names`, in float64. */
function normOf(gradients: ReadonlyMap<string, Float32Array>, names: Iterable<string>): number {
  let squares = 0;
  for (const name of names) {
    const gradient = gradients.get(name);
    if (gradient !== undefined) squares += sumOfSquares(gradient);
  }
  return Math.sqrt(squares);
}

/** The host reference of one update: clip by `coefficient` (float32 products), then spec's AdamW on copies. */
function hostUpdate(
  before: ReadonlyMap<string, Float32Array>,
  gradients: ReadonlyMap<string, Float32Array>,
  names: readonly string[],
  update: ParameterUpdate,
  coefficient: number,
  moments: AdamWMoments = {},
): { parameters: Map<string, Float32Array>; moments: AdamWMoments } {
  const parameters = new Map([...before].map(([name, value]) => [name, value.slice()]));
  const after: AdamWMoments = structuredClone(moments);
  for (const name of names) {
    const raw = gradients.get(name);
    if (raw === undefined) continue;
    const gradient = coefficient < 1 ? Float32Array.from(raw, (value) => value * coefficient) : raw;
    const state = after[name] ?? {
      step: 0,
      expAvg: new Float32Array(raw.length),
      expAvgSq: new Float32Array(raw.length),
    };
    state.step += 1;
    after[name] = state;
    applyAdamW(
      parameters.get(name)!,
      gradient,
      state.expAvg,
      state.expAvgSq,
      adamWConstants({ ...update, step: state.step }),
    );
  }
  return { parameters, moments: after };
}

/**
 * The checks, in order. Exported so tests can run them against deliberately broken policies.
 *
 * Rules checked (from spec `TrainablePolicy`): `parameterSizes` matches `readParameters`; scores have the
 * batch's shape; accumulating two batches gives the sum of their gradients and `readGradients` returns
 * copies; `zeroGradients` clears; `applyUpdate` applies AdamW (as spec's `applyAdamW` on the values read
 * back), reports the norm before clipping, and zeroes the accumulators; clipping scales the gradient by
 * `clip_grad_norm_`'s coefficient; parameters left out of `update.parameters` keep their bits and get no
 * moments; a non-finite gradient changes nothing and reports `applied: false`; the optimizer state round-trips
 * and bad states are rejected; a bad update field is rejected, named, before anything changes.
 */
export const trainablePolicyConformanceChecks: readonly TrainablePolicyConformanceCheck[] = [
  {
    name: 'declares its parameters: parameterSizes matches readParameters, and scores have the batch shape',
    async run({ policy, batches }) {
      expect(policy.parameterSizes.size, 'no parameters').toBeGreaterThan(0);
      for (const [name, size] of policy.parameterSizes)
        expect(Number.isInteger(size) && size > 0, `${name}: size ${size}`).toBe(true);
      const parameters = await policy.readParameters();
      expect([...parameters.keys()]).toEqual([...policy.parameterSizes.keys()]);
      for (const [name, value] of parameters) {
        expect(value instanceof Float32Array, `${name}: not a Float32Array`).toBe(true);
        expect(value.length, name).toBe(policy.parameterSizes.get(name));
      }
      const [first] = policy.parameterSizes.keys();
      expect([...(await policy.readParameters([first!])).keys()]).toEqual([first]);
      await expect(policy.readParameters(['no-such-parameter'])).rejects.toThrow(/no-such-parameter/);
      for (const batch of batches) {
        const scores = await policy.scoreTokens(batch);
        const size = batch.batch * (batch.length - 1);
        expect(
          scores.logprobs instanceof Float32Array && scores.logprobs.length === size,
          `logprobs for a [${batch.batch}, ${batch.length - 1}] batch`,
        ).toBe(true);
        expect(
          scores.entropies instanceof Float32Array && scores.entropies.length === size,
          `entropies for a [${batch.batch}, ${batch.length - 1}] batch`,
        ).toBe(true);
      }
    },
  },
  {
    name: 'accumulates: two batches give the sum of their gradients; readGradients returns copies',
    async run({ policy, batches, upstream, relativeTolerance }) {
      await reset(policy);
      await policy.accumulateGradients(batches[0], upstream[0]);
      const first = await policy.readGradients();
      await policy.zeroGradients();
      await policy.accumulateGradients(batches[1], upstream[1]);
      const second = await policy.readGradients();
      await policy.zeroGradients();
      await policy.accumulateGradients(batches[0], upstream[0]);
      await policy.accumulateGradients(batches[1], upstream[1]);
      const both = await policy.readGradients();
      expect(normOf(first, first.keys()), 'the first batch has no gradient').toBeGreaterThan(0);
      for (const [name, size] of policy.parameterSizes) {
        const expected = gradientOf(first, name, size).slice();
        const other = gradientOf(second, name, size);
        for (let index = 0; index < size; index++) expected[index]! += other[index]!;
        expectCloseArray(gradientOf(both, name, size), expected, relativeTolerance, `${name}: accumulated`);
      }
      for (const gradient of both.values()) gradient.fill(Number.NaN);
      const again = await policy.readGradients();
      for (const [name, gradient] of again)
        expect(Number.isNaN(gradient[0]!), `${name}: readGradients returned the policy's own array`).toBe(false);
      await policy.zeroGradients();
    },
  },
  {
    name: 'zeroGradients discards the accumulated gradients',
    async run({ policy, batches, upstream, relativeTolerance }) {
      await reset(policy);
      await policy.accumulateGradients(batches[1], upstream[1]);
      const alone = await policy.readGradients();
      await policy.zeroGradients();
      await policy.accumulateGradients(batches[0], upstream[0]);
      await policy.zeroGradients();
      expectZeroGradients(await policy.readGradients(), 'after zeroGradients');
      await policy.accumulateGradients(batches[1], upstream[1]);
      const after = await policy.readGradients();
      for (const [name, size] of policy.parameterSizes) {
        expectCloseArray(
          gradientOf(after, name, size),
          gradientOf(alone, name, size),
          relativeTolerance,
          `${name}: the gradient after zeroing`,
        );
      }
      await policy.zeroGradients();
    },
  },
  {
    name: 'applyUpdate applies AdamW to every parameter, reports the finite norm and zeroes the accumulators',
    async run({ policy, batches, upstream, relativeTolerance }) {
      await reset(policy);
      const before = await policy.readParameters();
      await policy.accumulateGradients(batches[0], upstream[0]);
      const gradients = await policy.readGradients();
      const result = await policy.applyUpdate(baseUpdate);
      expect(result.applied).toBe(true);
      expect(Number.isFinite(result.gradNorm), `gradNorm ${result.gradNorm}`).toBe(true);
      const norm = normOf(gradients, policy.parameterSizes.keys());
      expect(
        Math.abs(result.gradNorm - norm) <= relativeTolerance * norm,
        `gradNorm ${result.gradNorm}, the gradients read back give ${norm}`,
      ).toBe(true);
      const after = await policy.readParameters();
      const expected = hostUpdate(before, gradients, [...policy.parameterSizes.keys()], baseUpdate, 1);
      let changed = 0;
      for (const [name, value] of before) {
        if (!sameArrayBits(after.get(name), value)) changed++;
        expectCloseUpdate(
          after.get(name),
          expected.parameters.get(name)!,
          value,
          relativeTolerance,
          `${name} after one AdamW step`,
        );
      }
      expect(changed, 'no parameter changed').toBeGreaterThan(0);
      expectZeroGradients(await policy.readGradients(), 'after applyUpdate');
    },
  },
  {
    name: 'clips: reports the norm before clipping and updates with the clipped gradient',
    async run({ policy, batches, upstream, relativeTolerance }) {
      await reset(policy);
      await policy.accumulateGradients(batches[0], upstream[0]);
      const gradients = await policy.readGradients();
      const names = [...policy.parameterSizes.keys()];
      const norm = normOf(gradients, names);
      // moments of earlier steps, so that the gradient's scale shows in the update (a first step is sign-like)
      const moments: AdamWMoments = {};
      for (const [name, gradient] of gradients) {
        moments[name] = {
          step: 3,
          expAvg: Float32Array.from(gradient, (value) => 0.5 * value),
          expAvgSq: Float32Array.from(gradient, (value) => value * value + 1e-20),
        };
      }
      await policy.loadOptimizerState(moments);
      const update = { ...baseUpdate, maxGradNorm: norm * 1e-3 };
      const before = await policy.readParameters();
      const result = await policy.applyUpdate(update);
      expect(result.applied).toBe(true);
      expect(
        Math.abs(result.gradNorm - norm) <= relativeTolerance * norm,
        `gradNorm ${result.gradNorm} is not the norm before clipping ${norm}`,
      ).toBe(true);
      const coefficient = gradClipCoefficient(norm, update.maxGradNorm)!;
      const clipped = hostUpdate(before, gradients, names, update, coefficient, moments);
      const unclipped = hostUpdate(before, gradients, names, update, 1, moments);
      const after = await policy.readParameters();
      for (const [name, value] of before) {
        const expected = clipped.parameters.get(name)!;
        if (gradients.has(name) && maxAbs(gradients.get(name)!) > 0) {
          // the check can tell: the unclipped update is far from the clipped one
          expect(maxDifference(unclipped.parameters.get(name)!, expected)).toBeGreaterThan(
            100 * relativeTolerance * maxDifference(expected, value),
          );
        }
        expectCloseUpdate(after.get(name), expected, value, relativeTolerance, `${name} after a clipped step`);
      }
      const state = await policy.readOptimizerState();
      for (const [name, expected] of Object.entries(clipped.moments)) {
        expect(state[name]?.step, `${name}: moment step`).toBe(expected.step);
        expectCloseArray(state[name]?.expAvg, expected.expAvg, relativeTolerance, `${name}: exp_avg`);
        expectCloseArray(state[name]?.expAvgSq, expected.expAvgSq, relativeTolerance, `${name}: exp_avg_sq`);
      }
    },
  },
  {
    name: 'leaves frozen parameters (not in update.parameters) unchanged, out of the norm and without moments',
    async run({ policy, batches, upstream, relativeTolerance, skip }) {
      const names = [...policy.parameterSizes.keys()];
      if (names.length < 2) skip('the policy has a single parameter tensor');
      const [frozen, ...trained] = names;
      await reset(policy);
      const before = await policy.readParameters();
      await policy.accumulateGradients(batches[0], upstream[0]);
      const gradients = await policy.readGradients();
      const result = await policy.applyUpdate({ ...baseUpdate, parameters: trained });
      expect(result.applied).toBe(true);
      const norm = normOf(gradients, trained);
      expect(
        Math.abs(result.gradNorm - norm) <= relativeTolerance * norm,
        `gradNorm ${result.gradNorm}, over the trained parameters ${norm}`,
      ).toBe(true);
      const after = await policy.readParameters();
      expect(sameArrayBits(after.get(frozen!), before.get(frozen!)!), `frozen ${frozen} changed`).toBe(true);
      const expected = hostUpdate(before, gradients, trained, baseUpdate, 1);
      for (const name of trained)
        expectCloseUpdate(
          after.get(name),
          expected.parameters.get(name)!,
          before.get(name)!,
          relativeTolerance,
          `${name} beside a frozen tensor`,
        );
      expect(Object.keys(await policy.readOptimizerState())).not.toContain(frozen);
    },
  },
  {
    name: 'skips a non-finite gradient: applied false, parameters and moments unchanged, gradients discarded',
    async run({ policy, batches, upstream }) {
      await reset(policy);
      await policy.accumulateGradients(batches[0], upstream[0]);
      expect((await policy.applyUpdate(baseUpdate)).applied).toBe(true);
      const before = await policy.readParameters();
      const moments = await policy.readOptimizerState();
      const bad = { gradLogprobs: upstream[1].gradLogprobs.slice(), gradEntropies: upstream[1].gradEntropies.slice() };
      bad.gradLogprobs[bad.gradLogprobs.findIndex((value) => value !== 0)] = Number.NaN;
      await policy.accumulateGradients(batches[1], bad);
      const result = await policy.applyUpdate(baseUpdate);
      expect(result.applied).toBe(false);
      expect(Number.isFinite(result.gradNorm), `gradNorm ${result.gradNorm}`).toBe(false);
      const after = await policy.readParameters();
      for (const [name, value] of before) expect(sameArrayBits(after.get(name), value), `${name} changed`).toBe(true);
      expect(await policy.readOptimizerState()).toEqual(moments);
      expectZeroGradients(await policy.readGradients(), 'after a skipped update');
    },
  },
  {
    name: 'round-trips the optimizer state and rejects a state of another shape',
    async run({ policy, batches, upstream }) {
      await reset(policy);
      expect(await policy.readOptimizerState()).toEqual({});
      await policy.accumulateGradients(batches[0], upstream[0]);
      await policy.applyUpdate(baseUpdate);
      const state = await policy.readOptimizerState();
      expect(Object.keys(state).length, 'no moments after an update').toBeGreaterThan(0);
      for (const [name, moments] of Object.entries(state)) {
        expect(moments.step, `${name}: step`).toBe(1);
        expect(
          moments.expAvg instanceof Float32Array && moments.expAvg.length === policy.parameterSizes.get(name),
          `${name}: exp_avg`,
        ).toBe(true);
        expect(
          moments.expAvgSq instanceof Float32Array && moments.expAvgSq.length === policy.parameterSizes.get(name),
          `${name}: exp_avg_sq`,
        ).toBe(true);
      }
      const saved = structuredClone(state);
      for (const moments of Object.values(state)) moments.expAvg.fill(Number.NaN);
      expect(await policy.readOptimizerState(), 'readOptimizerState returned the policy’s own arrays').toEqual(saved);
      await policy.loadOptimizerState({});
      expect(await policy.readOptimizerState()).toEqual({});
      const loaded = structuredClone(saved);
      await policy.loadOptimizerState(loaded);
      for (const moments of Object.values(loaded)) moments.expAvgSq.fill(Number.NaN);
      expect(await policy.readOptimizerState(), 'loadOptimizerState kept the caller’s arrays').toEqual(saved);
      const [name, moments] = Object.entries(saved)[0]!;
      await expect(policy.loadOptimizerState({ 'no-such-parameter': moments })).rejects.toThrow(/no-such-parameter/);
      await expect(
        policy.loadOptimizerState({ [name]: { ...moments, expAvg: new Float32Array(moments.expAvg.length + 1) } }),
      ).rejects.toThrow(/expAvg/);
      expect(await policy.readOptimizerState(), 'a rejected state changed the moments').toEqual(saved);
    },
  },
  {
    name: 'rejects a bad update field, naming it, before anything changes',
    async run({ policy, batches, upstream }) {
      await reset(policy);
      await policy.accumulateGradients(batches[0], upstream[0]);
      const before = await policy.readParameters();
      const cases: [Partial<ParameterUpdate>, string][] = [
        [{ learningRate: -1 }, 'learningRate'],
        [{ learningRate: Number.NaN }, 'learningRate'],
        [{ betas: [1, 0.999] }, 'betas[0]'],
        [{ betas: [0.9, -0.5] }, 'betas[1]'],
        [{ eps: -1 }, 'eps'],
        [{ weightDecay: Number.NaN }, 'weightDecay'],
        [{ maxGradNorm: 0 }, 'maxGradNorm'],
        [{ parameters: ['no-such-parameter'] }, 'no-such-parameter'],
      ];
      for (const [fields, named] of cases) {
        const label = Object.entries(fields)
          .map(([key, value]) => `${key} ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}`)
          .join(', ');
        const outcome: unknown = await policy.applyUpdate({ ...baseUpdate, ...fields }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(outcome instanceof Error, `an update with ${label} was accepted`).toBe(true);
        expect((outcome as Error).message, `the error for ${label} does not name ${named}`).toContain(named);
      }
      const after = await policy.readParameters();
      for (const [name, value] of before) expect(sameArrayBits(after.get(name), value), `${name} changed`).toBe(true);
      expect(await policy.readOptimizerState()).toEqual({});
      await policy.zeroGradients();
    },
  },
];

/**
 * The conformance suite every `TrainablePolicy` implementation runs (a vitest `describe` block over one
 * policy); call it at the top level of a test file. Each check starts from zeroed gradients and a fresh
 * optimizer (`loadOptimizerState({})`) and compares the policy with a host computation of spec's math on
 * the values it reads back, within `relativeTolerance`.
 */
export function runTrainablePolicyConformance(options: TrainablePolicyConformanceOptions): void {
  describe(`${options.name}: TrainablePolicy conformance`, () => {
    let policy: TrainablePolicy | undefined;
    beforeAll(async () => {
      policy = await options.createPolicy();
    });
    afterAll(async () => {
      if (policy !== undefined) await options.disposePolicy?.(policy);
    });
    for (const check of trainablePolicyConformanceChecks) {
      it(check.name, async (testContext) => {
        await check.run(trainablePolicyConformanceContext(policy!, options, (note) => testContext.skip(note)));
      });
    }
  });
}
