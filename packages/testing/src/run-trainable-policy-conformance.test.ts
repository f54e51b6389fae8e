import type { ParameterUpdate, TrainablePolicy } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createMockTrainablePolicy } from './mock-trainable-policy';
import {
  trainablePolicyConformanceChecks,
  trainablePolicyConformanceContext,
} from './run-trainable-policy-conformance';

function check(name: string) {
  const found = trainablePolicyConformanceChecks.find((candidate) => candidate.name.startsWith(name));
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

/** The mock with some methods replaced to break one rule. */
function broken(replace: (inner: TrainablePolicy) => Partial<TrainablePolicy>): TrainablePolicy {
  const inner = createMockTrainablePolicy({ vocabSize: 8, seed: 3 });
  return { ...inner, ...replace(inner) };
}

const run = (name: string, policy: TrainablePolicy) => check(name).run(trainablePolicyConformanceContext(policy));

describe('trainablePolicyConformanceChecks', () => {
  it('all pass on the mock trainable policy', async () => {
    const context = trainablePolicyConformanceContext(createMockTrainablePolicy({ vocabSize: 8, seed: 3 }));
    for (const candidate of trainablePolicyConformanceChecks) await candidate.run(context);
  });

  it('fail a policy whose accumulation overwrites instead of adding', async () => {
    const policy = broken((inner) => ({
      async accumulateGradients(batch, upstream) {
        await inner.zeroGradients();
        await inner.accumulateGradients(batch, upstream);
      },
    }));
    await expect(run('accumulates', policy)).rejects.toThrow(/accumulated: max \|difference\|/);
  });

  it('fail a policy whose zeroGradients does nothing', async () => {
    const policy = broken(() => ({ zeroGradients: async () => {} }));
    await expect(run('zeroGradients discards', policy)).rejects.toThrow(/after zeroGradients: \S+ is not zero/);
  });

  it('fail a policy that hands out its own gradient arrays', async () => {
    const policy = broken((inner) => {
      let cache: Map<string, Float32Array> | undefined;
      return {
        async readGradients() {
          const fresh = await inner.readGradients();
          if (cache === undefined) cache = fresh;
          else for (const [name, gradient] of fresh) cache.get(name)?.set(gradient);
          return cache;
        },
      };
    });
    await expect(run('accumulates', policy)).rejects.toThrow(
      /accumulated: max \|difference\||returned the policy's own array/,
    );
  });

  it('fail a policy that drops the weight decay or ignores clipping', async () => {
    const noDecay = broken((inner) => ({
      applyUpdate: (update: ParameterUpdate) => inner.applyUpdate({ ...update, weightDecay: 0 }),
    }));
    await expect(run('applyUpdate applies AdamW', noDecay)).rejects.toThrow(/after one AdamW step: max \|difference\|/);
    const unclipped = broken((inner) => ({
      applyUpdate: (update: ParameterUpdate) => inner.applyUpdate({ ...update, maxGradNorm: Number.POSITIVE_INFINITY }),
    }));
    await expect(run('clips', unclipped)).rejects.toThrow(/after a clipped step: max \|difference\|/);
  });

  it('fail a policy that trains frozen parameters', async () => {
    const policy = broken((inner) => ({
      applyUpdate: ({ parameters: _, ...update }: ParameterUpdate) => inner.applyUpdate(update),
    }));
    await expect(run('leaves frozen parameters', policy)).rejects.toThrow(/gradNorm|frozen weight changed/);
  });

  it('fail a policy that applies an update with a non-finite gradient', async () => {
    const policy = broken((inner) => ({
      async applyUpdate(update: ParameterUpdate) {
        const result = await inner.applyUpdate(update);
        return { ...result, applied: true };
      },
    }));
    await expect(run('skips a non-finite gradient', policy)).rejects.toThrow();
  });

  it('fail a policy that keeps the caller’s moment arrays or clamps a bad learning rate', async () => {
    const keeping = broken((inner) => {
      let kept: Parameters<TrainablePolicy['loadOptimizerState']>[0] = {};
      return {
        async loadOptimizerState(moments) {
          await inner.loadOptimizerState(moments);
          kept = moments;
        },
        readOptimizerState: async () => structuredClone(kept),
      };
    });
    await expect(run('round-trips the optimizer state', keeping)).rejects.toThrow();
    const clamping = broken((inner) => ({
      applyUpdate: (update: ParameterUpdate) =>
        inner.applyUpdate({ ...update, learningRate: Math.max(0, update.learningRate) }),
    }));
    await expect(run('rejects a bad update field', clamping)).rejects.toThrow(
      /an update with learningRate -1 was accepted/,
    );
  });
});
