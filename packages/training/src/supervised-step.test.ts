import { clipGradNorm, createAdamW } from '@research-ts/grpo';
import { createMockTrainablePolicy } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { supervisedStep, type SupervisedExample } from './supervised-step';

// two examples of different lengths (padded with id 0); the second response's middle token is not trained on
const examples: SupervisedExample[] = [
  { promptIds: [1, 2], responseIds: [3, 4, 5], lossMask: [1, 1, 1] },
  { promptIds: [6], responseIds: [7, 3, 4, 2], lossMask: [1, 0, 1, 1] },
];
const options = { padId: 0, gradClip: 0.05, learningRate: 1e-2 };

describe('supervisedStep', () => {
  it('updates bit for bit as clipGradNorm + createAdamW (no weight decay) on the NLL gradient, and lowers the NLL', async () => {
    const policy = createMockTrainablePolicy({ seed: 7 });
    const manual = createMockTrainablePolicy({ seed: 7 });
    const optimizer = createAdamW({
      parameters: [...manual.parameters].map(([name, value]) => ({ name, value })),
      lr: options.learningRate,
      weightDecay: 0,
    });
    // the batch supervisedStep builds: rows of length 5; d NLL / d logprob = −1/6 on the trained positions
    // (score position t scores token t + 1: row 0 positions 1–3, row 1 positions 0, 2, 3)
    const batch = {
      inputIds: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 3, 4, 2]),
      attentionMask: new Uint8Array(10).fill(1),
      batch: 2,
      length: 5,
    };
    const gradLogprobs = new Float32Array(2 * 4);
    for (const position of [1, 2, 3, 4 + 0, 4 + 2, 4 + 3]) gradLogprobs[position] = -1 / 6;
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const result = await supervisedStep(policy, examples, options);
      expect(result.tokenCount).toBe(6);
      expect(result.applied).toBe(true);
      losses.push(result.loss);
      await manual.accumulateGradients(batch, { gradLogprobs, gradEntropies: new Float32Array(gradLogprobs.length) });
      const gradients = await manual.readGradients();
      await manual.zeroGradients();
      const norm = clipGradNorm(gradients, options.gradClip);
      expect(result.gradNorm).toBe(norm);
      expect(norm).toBeGreaterThan(options.gradClip);
      optimizer.step(gradients);
      for (const [name, value] of manual.parameters)
        expect(policy.parameters.get(name), `${name} after step ${step + 1}`).toEqual(value);
    }
    expect(losses[2]).toBeLessThan(losses[0]!);
    expect(await policy.readOptimizerState()).toEqual(optimizer.saveState().parameters);
  });
});
