import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose, seededRandom } from '@research-ts/testing';
import { readFixture } from '../test/read-fixture';
import { createAdamW, type AdamWState } from './adamw';
import { learningRateFactor } from './learning-rate-schedule';

interface TorchAdamWRun {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  steps: number;
  initial: Record<string, number[]>;
  parameterWeightDecay: Record<string, number>;
  gradients: Record<string, number[]>[];
  after: Record<string, number[]>[];
  finalState: Record<string, { step: number; expAvg: number[]; expAvgSq: number[] }>;
}
interface WorkedAdamW {
  adamw: {
    lr: number;
    betas: [number, number];
    eps: number;
    weightDecay: number;
    initial: number;
    steps: { step: number; gradient: number; parameter: number; expAvg: number; expAvgSq: number }[];
  };
}
const torch = await readFixture<{ torch: string; adamw: TorchAdamWRun[] }>('torch-reference.json');
const worked = (await readFixture<WorkedAdamW>('worked-values.json')).adamw;

describe('createAdamW', () => {
  it('follows the two-step table worked by hand (decoupled decay, bias correction)', () => {
    const value = Float32Array.from([worked.initial]);
    const optimizer = createAdamW({
      parameters: [{ name: 'w', value }],
      lr: worked.lr,
      betas: worked.betas,
      eps: worked.eps,
      weightDecay: worked.weightDecay,
    });
    for (const row of worked.steps) {
      expect(optimizer.step({ w: Float32Array.from([row.gradient]) })).toEqual({
        learningRate: worked.lr,
        step: row.step,
      });
      expectClose(value[0]!, row.parameter, { rtol: 1.2e-7, label: `parameter after step ${row.step}` });
      const state = optimizer.saveState().parameters.w!;
      expect(state.step).toBe(row.step);
      expectClose(state.expAvg[0]!, row.expAvg, { rtol: 1.2e-7 });
      expectClose(state.expAvgSq[0]!, row.expAvgSq, { rtol: 1.2e-7 });
    }
    // step 1 by hand: m̂ = g, v̂ = g², so p = 1·(1 − 0.1·0.01) − 0.1·0.5/(0.5 + 1e-8)
    expectClose(worked.steps[0]!.parameter, 0.999 - 0.1 * (0.5 / (0.5 + 1e-8)), { atol: 1e-15 });
  });

  it.each(torch.adamw.map((run, index) => [index, run] as const))(
    `matches torch.optim.AdamW (foreach=False) bit for bit, run %i`,
    (_, run) => {
      const parameters = Object.entries(run.initial).map(([name, values]) => ({
        name,
        value: Float32Array.from(values),
        ...(run.parameterWeightDecay[name] === undefined ? {} : { weightDecay: run.parameterWeightDecay[name] }),
      }));
      const optimizer = createAdamW({
        parameters,
        lr: run.lr,
        betas: run.betas,
        eps: run.eps,
        weightDecay: run.weightDecay,
      });
      run.gradients.forEach((gradients, step) => {
        optimizer.step(
          Object.fromEntries(Object.entries(gradients).map(([name, values]) => [name, Float32Array.from(values)])),
        );
        for (const parameter of parameters) {
          // float32 op by op with fused lerp/addcmul: bit-identical to PyTorch's CPU kernels
          expect([...parameter.value], `${parameter.name} after step ${step + 1}`).toEqual(
            run.after[step]![parameter.name]!,
          );
        }
      });
      const state = optimizer.saveState();
      expect(state.step).toBe(run.steps);
      for (const [name, expected] of Object.entries(run.finalState)) {
        expect(state.parameters[name]!.step).toBe(expected.step);
        expect([...state.parameters[name]!.expAvg], `${name}.expAvg`).toEqual(expected.expAvg);
        expect([...state.parameters[name]!.expAvgSq], `${name}.expAvgSq`).toEqual(expected.expAvgSq);
      }
      // parameter b had no gradient at step 3: one step fewer, as PyTorch counts per tensor
      expect(state.parameters.b!.step).toBe(run.steps - 1);
    },
  );

  it('restores a saved state exactly: save after k steps, continue in a fresh optimizer, bit-identical', () => {
    const random = seededRandom(99);
    const initial = {
      a: Float32Array.from({ length: 33 }, () => random() - 0.5),
      b: Float32Array.from({ length: 5 }, () => random()),
    };
    const gradients = Array.from({ length: 8 }, (_, step) => ({
      a: Float32Array.from({ length: 33 }, () => random() * 2 - 1),
      ...(step === 1 ? {} : { b: Float32Array.from({ length: 5 }, () => random() * 0.1) }),
    }));
    const options = {
      lr: 3e-3,
      weightDecay: 0.05,
      schedule: { kind: 'cosine', warmupSteps: 2, totalSteps: 8 } as const,
    };
    const make = (values: typeof initial) =>
      createAdamW({ ...options, parameters: Object.entries(values).map(([name, value]) => ({ name, value })) });

    const straight = { a: initial.a.slice(), b: initial.b.slice() };
    const uninterrupted = make(straight);
    for (const g of gradients) uninterrupted.step(g);

    const live = { a: initial.a.slice(), b: initial.b.slice() };
    const before = make(live);
    for (const g of gradients.slice(0, 3)) before.step(g);
    // a checkpoint: the optimizer state (through structuredClone, as a worker message or a file would) and the weights
    const saved: AdamWState = structuredClone(before.saveState());
    const resumedValues = { a: live.a.slice(), b: live.b.slice() };
    before.step(gradients[3]!); // later steps of the old optimizer must not leak into the snapshot

    const resumed = make(resumedValues);
    resumed.loadState(saved);
    expect(resumed.stepCount).toBe(3);
    expect(resumed.learningRate()).toBe(3e-3 * learningRateFactor(options.schedule, 3));
    for (const g of gradients.slice(3)) resumed.step(g);
    expect([...resumedValues.a]).toEqual([...straight.a]);
    expect([...resumedValues.b]).toEqual([...straight.b]);
    expect(resumed.saveState()).toEqual(uninterrupted.saveState());
  });

  it('applies the schedule: update k uses lr · factor(k)', () => {
    const value = new Float32Array(1);
    const optimizer = createAdamW({
      parameters: [{ name: 'w', value }],
      lr: 0.5,
      schedule: { kind: 'constant', warmupSteps: 2 },
    });
    expect(optimizer.learningRate()).toBe(0);
    expect(optimizer.step({ w: Float32Array.from([1]) }).learningRate).toBe(0);
    expect(value[0]).toBe(0); // lr 0: no move, but the moments advanced
    expect(optimizer.step({ w: Float32Array.from([1]) }).learningRate).toBe(0.25);
    expect(optimizer.step({ w: Float32Array.from([1]) }).learningRate).toBe(0.5);
  });

  it('rejects unknown or mis-sized gradients, duplicate names and foreign states', () => {
    const value = new Float32Array(3);
    const optimizer = createAdamW({ parameters: [{ name: 'w', value }], lr: 1e-3 });
    expect(() => optimizer.step({ v: new Float32Array(3) })).toThrow(
      'field "gradients.v": gradient for unknown parameter "v"',
    );
    expect(() => optimizer.step(new Map([['w', new Float32Array(2)]]))).toThrow(
      'field "gradients.w": expected 3 values, got 2',
    );
    expect(() =>
      createAdamW({
        parameters: [
          { name: 'w', value },
          { name: 'w', value },
        ],
        lr: 1,
      }),
    ).toThrow('duplicate parameter name "w"');
    expect(() => createAdamW({ parameters: [], lr: -1 })).toThrow(InvalidConfigError);
    expect(() => createAdamW({ parameters: [], lr: 1, betas: [0.9, 1] })).toThrow(
      'config field "betas[1]": must be in [0, 1), got 1',
    );
    const foreign = {
      step: 1,
      parameters: { w: { step: 1, expAvg: new Float32Array(2), expAvgSq: new Float32Array(2) } },
    };
    expect(() => optimizer.loadState(foreign)).toThrow(InvalidInputError);
    expect(() => optimizer.loadState(foreign)).toThrow(
      'field "state.parameters.w.expAvg": expected a Float32Array of 3 values',
    );
    expect(() => optimizer.loadState({ step: 0, parameters: { x: foreign.parameters.w } })).toThrow(
      'state for unknown parameter "x"',
    );
    expect(optimizer.stepCount).toBe(0);
  });

  it('skips a tensor without a gradient and creates its state on its first gradient', () => {
    const a = Float32Array.from([1, 1]);
    const b = Float32Array.from([1]);
    const optimizer = createAdamW({
      parameters: [
        { name: 'a', value: a },
        { name: 'b', value: b, weightDecay: 0 },
      ],
      lr: 0.1,
    });
    optimizer.step({ a: Float32Array.from([1, -1]) });
    expect(b[0]).toBe(1);
    expect(Object.keys(optimizer.saveState().parameters)).toEqual(['a']);
    optimizer.step({ b: Float32Array.from([2]) });
    // first step of b: m̂/√v̂ = 1, no decay
    expectClose(b[0]!, 1 - 0.1 * (2 / (2 + 1e-8)), { rtol: 1.2e-7 });
    expect(optimizer.saveState().parameters.b!.step).toBe(1);
  });
});
