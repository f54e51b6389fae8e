// Spec's host training state (the CPU side of the training seam) against this package's clipGradNorm and
// createAdamW: the update a policy applies on the host must be the one a caller would compute itself.
import { createHostTrainingState } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@research-ts/testing';
import { sameBits } from '@research-ts/testing';
import { createAdamW } from './adamw';
import { clipGradNorm } from './clip-grad-norm';
import { learningRateFactor, type LearningRateSchedule } from './learning-rate-schedule';

const sizes: [string, number][] = [
  ['embed', 24],
  ['frozen', 6],
  ['head', 12],
  ['bias', 3],
];
const trained = ['embed', 'head', 'bias'];

describe('createHostTrainingState (spec) and clipGradNorm + createAdamW', () => {
  it('update bit for bit over several steps, with clipping active, a frozen tensor and a tensor without a gradient', () => {
    const random = seededRandom(41);
    const initial = new Map(
      sizes.map(([name, size]) => [name, Float32Array.from({ length: size }, () => random() * 2 - 1)]),
    );
    const copy = () => new Map([...initial].map(([name, value]) => [name, value.slice()]));
    const hostParameters = copy();
    const manualParameters = copy();
    const host = createHostTrainingState(hostParameters);
    const schedule: LearningRateSchedule = { kind: 'cosine', warmupSteps: 1, totalSteps: 6 };
    const settings = { betas: [0.9, 0.95] as const, eps: 1e-8, weightDecay: 0.05, maxGradNorm: 0.5 };
    const optimizer = createAdamW({
      parameters: trained.map((name) => ({ name, value: manualParameters.get(name)! })),
      lr: 3e-3,
      betas: settings.betas,
      eps: settings.eps,
      weightDecay: settings.weightDecay,
      schedule,
    });
    for (let step = 0; step < 5; step++) {
      // two micro-batches; at step 2 the bias gets no gradient (as a tensor outside the loss)
      const names = step === 2 ? ['embed', 'frozen', 'head'] : sizes.map(([name]) => name);
      const micro = () =>
        new Map(
          names.map((name) => [
            name,
            Float32Array.from({ length: initial.get(name)!.length }, () => (random() * 2 - 1) * 3),
          ]),
        );
      const parts = [micro(), micro()];
      const accumulated = new Map<string, Float32Array>();
      for (const part of parts) {
        host.accumulate(part);
        for (const [name, gradient] of part) {
          const sum = accumulated.get(name);
          if (sum === undefined) accumulated.set(name, gradient.slice());
          else for (let index = 0; index < sum.length; index++) sum[index]! += gradient[index]!;
        }
      }
      expect(sameBits(host.readGradients(), accumulated), `accumulated gradients at step ${step + 1}`).toBe(true);
      const trainedGradients = new Map([...accumulated].filter(([name]) => trained.includes(name)));
      const norm = clipGradNorm(trainedGradients, settings.maxGradNorm);
      expect(norm, 'clipping is active').toBeGreaterThan(settings.maxGradNorm);
      const { learningRate } = optimizer.step(trainedGradients);
      expect(learningRate).toBe(3e-3 * learningRateFactor(schedule, step));
      const result = host.applyUpdate({ ...settings, learningRate, parameters: trained });
      expect(result).toEqual({ gradNorm: norm, applied: true });
      expect(sameBits(hostParameters, manualParameters), `parameters after step ${step + 1}`).toBe(true);
      expect(host.readGradients().size, 'the update zeroes the accumulators').toBe(0);
    }
    expect(
      sameBits(new Map([['frozen', hostParameters.get('frozen')!]]), new Map([['frozen', initial.get('frozen')!]])),
    ).toBe(true);
    const moments = host.readOptimizerState();
    expect(moments).toEqual(optimizer.saveState().parameters);
    expect(moments.frozen).toBeUndefined();
    expect(moments.bias!.step).toBe(4);
  });
});
