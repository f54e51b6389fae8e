import {
  actorLossDefaultsFor,
  clipGradNorm,
  computeActorLoss,
  computeGrpoAdvantages,
  createAdamW,
} from '@research-ts/grpo';
import { InvalidConfigError, InvalidInputError, type TokenBatch, type TokenScores } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { expectClose, sameBits } from '@research-ts/testing';
import { numericGradient } from '../test/numeric-gradient';
import { wrapPolicy } from '../test/policy-wrappers';
import { createTinyPolicy } from '../test/tiny-policy';
import { fullBatch, responseScores, sample, samples, setup, vocabSize, withoutTimings } from '../test/trainer-fixtures';
import { createGrpoTrainer, type GrpoLossOptions } from './grpo-trainer';
import { packTrajectories, type TrainingSample } from './pack-trajectories';

const advantages = computeGrpoAdvantages({
  scores: samples.map((s) => s.reward),
  groupIds: samples.map((s) => s.groupId),
});

/** Σ over loss tokens of `pick(sample, j)`, and the number of loss tokens. */
function overLossTokens(list: readonly TrainingSample[], pick: (index: number, j: number) => number) {
  let sum = 0;
  let count = 0;
  list.forEach(({ trajectory }, index) => {
    trajectory.lossMask.forEach((m, j) => {
      if (m === 0) return;
      sum += pick(index, j);
      count++;
    });
  });
  return { sum, count };
}

describe('createGrpoTrainer', () => {
  it('two steps change the parameters; the first step reports ratio 1, KL 0 and the worked loss', async () => {
    const { policy, reference, trainer } = setup();
    const initial = policy.snapshot();
    const before = await responseScores(policy, samples);
    const scoredBefore = policy.calls.scoreTokens;
    const first = await trainer.step(samples);
    expect(first.skipped).toBe(false);
    const afterFirst = policy.snapshot();
    expect(sameBits(afterFirst, initial)).toBe(false);
    // with ppo epochs 1 the ratio is exactly 1: pg loss = −Σ A·n / N, KL to the identical reference 0
    const { sum: advantageSum, count: tokens } = overLossTokens(samples, (index) => advantages[index]!);
    const { sum: entropySum } = overLossTokens(samples, (index, j) => before[index]!.entropies[j]!);
    const metrics = first.metrics;
    expect(metrics.lossTokenCount).toBe(tokens);
    expect(tokens).toBe(4 + 4 + 5 + 4 + 3 + 3 + 2 + 3);
    expectClose(metrics.pgLoss, -advantageSum / tokens, { atol: 1e-7 });
    expect(metrics.klLoss).toBe(0);
    expect(metrics.ppoKl).toBe(0);
    expect(metrics.pgClipFrac).toBe(0);
    expect(metrics.epochs[0]).toMatchObject({ ratioMean: 1, ratioMin: 1, ratioMax: 1 });
    expectClose(metrics.entropy, entropySum / tokens, { atol: 1e-6 });
    expectClose(metrics.loss, -advantageSum / tokens - 0.001 * (entropySum / tokens), { atol: 1e-7 });
    expect(metrics).toMatchObject({
      step: 1,
      optimizerStep: 1,
      learningRate: 1e-6,
      sampleCount: 8,
      groupCount: 2,
      microBatchCount: 1,
    });
    expect(metrics.gradNorm).toBeGreaterThan(0);
    expectClose(metrics.rewardMean, 3.5 / 8, { atol: 1e-15 });
    expectClose(metrics.advantageMean, 0, { atol: 1e-12 });
    expect(metrics.advantageMax).toBe(Math.max(...advantages));
    expect(metrics.responseTokenCount).toBe(4 + 6 + 5 + 4 + 3 + 6 + 2 + 3);
    expect(metrics.tokenCount).toBe(4 * 1 + 4 * 2 + 33);

    const second = await trainer.step(samples);
    expect(second.skipped).toBe(false);
    expect(sameBits(policy.snapshot(), afterFirst)).toBe(false);
    expect(second.metrics.klLoss).toBeGreaterThan(0);
    expect(second.metrics).toMatchObject({ step: 2, optimizerStep: 2 });
    expect(policy.appliedUpdates).toBe(2);
    // per step: old scores and the rescoring of the first epoch (one micro-batch each), one reference pass, one backward
    expect(policy.calls).toEqual({ scoreTokens: scoredBefore + 4, backward: 2 });
    expect(reference.calls).toEqual({ scoreTokens: 2, backward: 0 });
    expect(sameBits(reference.parameters, initial)).toBe(true);
    expect(trainer.stepCount).toBe(2);
  });

  it('repeated steps on one fixed batch lower the loss and raise the logprob of positively-advantaged tokens', async () => {
    const { policy, trainer } = setup({ optimizer: { lr: 1e-2 } });
    const initial = await responseScores(policy, samples);
    // the policy-gradient loss −Σ A·logp / N over the loss tokens, at the current parameters
    const reinforceLoss = async () => {
      const scores = await responseScores(policy, samples);
      const { sum, count } = overLossTokens(samples, (index, j) => -advantages[index]! * scores[index]!.logprobs[j]!);
      return sum / count;
    };
    const losses = [await reinforceLoss()];
    for (let step = 0; step < 12; step++) {
      expect((await trainer.step(samples)).skipped).toBe(false);
      losses.push(await reinforceLoss());
    }
    for (let step = 1; step < losses.length; step++)
      expect(losses[step], `after step ${step}: ${losses.join(', ')}`).toBeLessThan(losses[step - 1]!);
    const final = await responseScores(policy, samples);
    const change = (sign: 1 | -1) =>
      overLossTokens(samples, (index, j) =>
        Math.sign(advantages[index]!) === sign ? final[index]!.logprobs[j]! - initial[index]!.logprobs[j]! : 0,
      ).sum;
    expect(change(1)).toBeGreaterThan(0.5);
    expect(change(-1)).toBeLessThan(-0.5);
  });

  it('with ppo epochs 4, each epoch on the fixed old logprobs lowers the clipped surrogate', async () => {
    const { trainer } = setup({ optimizer: { lr: 2e-3 }, ppoEpochs: 4 });
    const result = await trainer.step(samples);
    expect(result.skipped).toBe(false);
    const epochs = result.metrics.epochs;
    expect(epochs).toHaveLength(4);
    expect(epochs[0]!.ratioMean).toBe(1);
    for (let epoch = 1; epoch < 4; epoch++) {
      expect(epochs[epoch]!.pgLoss).toBeLessThan(epochs[epoch - 1]!.pgLoss);
      expect(epochs[epoch]!.ratioMax).toBeGreaterThan(1);
    }
    expect(result.metrics.optimizerStep).toBe(4);
    expectClose(result.metrics.loss, epochs.reduce((sum, epoch) => sum + epoch.loss, 0) / 4, { atol: 1e-15 });
  });

  it('skips a batch with a NaN reward before touching the policy, and reports it', async () => {
    const { policy, trainer } = setup();
    const initial = policy.snapshot();
    const poisoned = samples.map((s, index) => (index === 5 ? { ...s, reward: Number.NaN } : s));
    const result = await trainer.step(poisoned);
    expect(result).toMatchObject({
      skipped: true,
      reason: 'non-finite-reward',
      message: 'non-finite reward in samples 5',
    });
    expect(sameBits(policy.snapshot(), initial)).toBe(true);
    expect(policy.calls).toEqual({ scoreTokens: 0, backward: 0 });
    expect(result.metrics).toMatchObject({ step: 1, optimizerStep: 0, epochs: [], microBatchCount: 0 });
    expect(Number.isNaN(result.metrics.loss)).toBe(true);
    expect(trainer.skippedSteps).toBe(1);
    // the next good batch trains, and the schedule has not moved
    const next = await trainer.step(samples);
    expect(next.skipped).toBe(false);
    expect(next.metrics).toMatchObject({ step: 2, optimizerStep: 1 });
  });

  it('skips a batch without a token in the loss', async () => {
    const { policy, trainer } = setup();
    const initial = policy.snapshot();
    const empty = [sample('q1', 1, [5], [6, 6], [0, 0]), sample('q1', 0, [5, 1], [])];
    const result = await trainer.step(empty);
    expect(result).toMatchObject({
      skipped: true,
      reason: 'no-loss-tokens',
      metrics: { microBatchCount: 0, lossTokenCount: 0, paddedTokenCount: 0, tokenCount: 5 },
    });
    expect(sameBits(policy.snapshot(), initial)).toBe(true);
    expect(policy.calls).toEqual({ scoreTokens: 0, backward: 0 });
    expect(await trainer.state()).toMatchObject({ step: 1, skippedSteps: 1, optimizer: { step: 0 } });
  });

  it('skips a batch whose policy returns a NaN logprob on a loss token, parameters bit-identical', async () => {
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const initial = tiny.snapshot();
    // sample 0 alone in its micro-batch (budget 5 = its length): its first response token, score position 0
    const policy = wrapPolicy(tiny, {
      logprob: { index: (batch) => (batch.length === 5 && batch.inputIds[1] === 1 ? 0 : undefined), value: Number.NaN },
    });
    const trainer = createGrpoTrainer({ policy, lossOptions: { klCoefficient: 0 }, maxTokensPerMicroBatch: 5 });
    const result = await trainer.step([samples[0]!, samples[3]!]);
    expect(result.skipped).toBe(true);
    if (!result.skipped) return;
    expect(result.reason).toBe('non-finite-loss');
    expect(result.message).toMatch(
      /^non-finite loss NaN in micro-batch 0 of epoch 0 \(1 tokens with non-finite inputs\)$/,
    );
    expect(sameBits(tiny.snapshot(), initial)).toBe(true);
    expect(tiny.appliedUpdates).toBe(0);
    expect(policy.record.accumulated).toHaveLength(0);
    expect(result.metrics.epochs[0]!.nonFiniteTokenCount).toBe(1);
  });

  it('ignores a NaN logprob on a masked token (an inserted result) and trains', async () => {
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const initial = tiny.snapshot();
    // sample 1 alone (length 7): response token 2 (an inserted result, mask 0) is scored at position 0 + 2
    const policy = wrapPolicy(tiny, {
      logprob: { index: (batch) => (batch.length === 7 ? 2 : undefined), value: Number.NaN },
    });
    const trainer = createGrpoTrainer({ policy, lossOptions: { klCoefficient: 0 }, maxTokensPerMicroBatch: 7 });
    const result = await trainer.step([samples[0]!, samples[1]!]);
    expect(result.skipped).toBe(false);
    expect(result.metrics.epochs[0]!.nonFiniteTokenCount).toBe(0);
    expect(sameBits(tiny.snapshot(), initial)).toBe(false);
  });

  it('skips a batch whose gradient is not finite, parameters bit-identical', async () => {
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const initial = tiny.snapshot();
    const policy = wrapPolicy(tiny, { gradient: { name: 'lm_head.bias', value: Number.POSITIVE_INFINITY } });
    const trainer = createGrpoTrainer({ policy, lossOptions: { klCoefficient: 0 }, maxTokensPerMicroBatch: 1000 });
    const result = await trainer.step(samples);
    expect(result).toMatchObject({
      skipped: true,
      reason: 'non-finite-grad-norm',
      message: 'gradient norm Infinity in epoch 0',
    });
    expect(result.metrics.gradNorm).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(result.metrics.loss)).toBe(true);
    expect(sameBits(tiny.snapshot(), initial)).toBe(true);
    expect(tiny.appliedUpdates).toBe(0);
    expect((await trainer.state()).optimizer).toEqual({ step: 0, parameters: {} });
    expect((await tiny.readGradients()).size, 'the discarded gradients are gone').toBe(0);
  });

  it('accumulates micro-batch gradients into exactly the full-batch gradient', async () => {
    for (const lossOptions of [
      {},
      { aggregation: { mode: 'seq-mean-token-mean' as const } },
      { aggregation: { mode: 'seq-mean-token-sum-norm' as const } },
    ]) {
      const { trainer: whole } = setup({ lossOptions });
      const { trainer: split } = setup({ lossOptions, maxTokensPerMicroBatch: 10 });
      expect(packTrajectories(samples, { maxTokensPerMicroBatch: 10, padId: 0 }).microBatches.length).toBe(6);
      // a parameter update first, so that the KL term is not 0
      await whole.step(samples);
      await split.step(samples);
      const full = await whole.computeGradients(samples);
      const parts = await split.computeGradients(samples);
      expectClose(parts.loss, full.loss, { atol: 1e-12, rtol: 1e-12, label: 'loss' });
      expect(full.metrics.klLoss).toBeGreaterThan(0);
      expectClose(parts.metrics.klLoss!, full.metrics.klLoss!, { atol: 1e-15, rtol: 1e-12, label: 'kl' });
      expect([...parts.gradients.keys()]).toEqual([...full.gradients.keys()]);
      for (const [name, gradient] of full.gradients) {
        const largest = Math.max(...gradient.map(Math.abs));
        expect(largest).toBeGreaterThan(0);
        expectClose(parts.gradients.get(name)!, gradient, {
          atol: 1e-6 * largest,
          label: `${JSON.stringify(lossOptions)} ${name}`,
        });
      }
    }
  });

  it('computes the gradient of the token-mean loss over the whole batch (central differences)', async () => {
    const { policy, reference, trainer } = setup({ maxTokensPerMicroBatch: 12 });
    await trainer.step(samples); // move away from the reference
    const { loss, gradients } = await trainer.computeGradients(samples);
    const old = await responseScores(policy, samples);
    const ref = await responseScores(reference, samples);
    // the loss written out per token, with old and reference logprobs held fixed, in float64
    const objective = () => {
      const { sum, count } = overLossTokens(samples, (index, j) => {
        const { trajectory } = samples[index]!;
        const ids = [...trajectory.promptIds, ...trajectory.responseIds];
        const scores = policy.scoreTokensFloat64({
          inputIds: Int32Array.from(ids),
          attentionMask: new Uint8Array(ids.length).fill(1),
          batch: 1,
          length: ids.length,
        });
        const position = trajectory.promptIds.length - 1 + j;
        const logprob = scores.logprobs[position]!;
        const ratio = Math.exp(logprob - old[index]!.logprobs[j]!);
        const kl = ref[index]!.logprobs[j]! - logprob;
        return -advantages[index]! * ratio - 0.001 * scores.entropies[position]! + 0.001 * (Math.exp(kl) - kl - 1);
      });
      return sum / count;
    };
    expectClose(loss, objective(), { atol: 1e-6 });
    for (const [name, value] of policy.parameters) {
      const numeric = numericGradient(value, objective);
      const largest = Math.max(...numeric.map(Math.abs));
      expectClose(gradients.get(name)!, numeric, { atol: 1e-4 * largest, label: name });
    }
  });

  it('sends zero upstream gradient to prompt, inserted result and padding positions', async () => {
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const policy = wrapPolicy(tiny);
    const reference = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11, parameters: tiny.parameters });
    const trainer = createGrpoTrainer({ policy, reference, maxTokensPerMicroBatch: 16 });
    await trainer.step(samples);
    await trainer.step(samples); // ratio ≠ 1 and KL ≠ 0 now
    const packed = packTrajectories(samples, { maxTokensPerMicroBatch: 16, padId: 0 });
    const calls = policy.record.accumulated.slice(packed.microBatches.length);
    expect(calls).toHaveLength(packed.microBatches.length);
    let resultPositions = 0;
    packed.microBatches.forEach((micro, index) => {
      const { batch, upstream } = calls[index]!;
      expect(batch.inputIds).toEqual(micro.batch.inputIds);
      micro.lossMask.forEach((m, position) => {
        if (m === 0) {
          expect(upstream.gradLogprobs[position], `micro-batch ${index} position ${position}`).toBe(0);
          expect(upstream.gradEntropies[position]).toBe(0);
        } else {
          expectClose(upstream.gradEntropies[position]!, -0.001 / 28, { rtol: 1e-7 }); // −c_H / N
        }
      });
      micro.sampleIndices.forEach((sampleIndex, row) => {
        const { lossMask } = samples[sampleIndex]!.trajectory;
        lossMask.forEach((m, j) => {
          if (m === 1) return;
          resultPositions++;
          const position = row * (batch.length - 1) + micro.responseStarts[row]! - 1 + j;
          expect(batch.inputIds[row * batch.length + micro.responseStarts[row]! + j]).toBe(6);
          expect(upstream.gradLogprobs[position]).toBe(0);
        });
      });
    });
    expect(resultPositions).toBe(5);
  });

  it('continues bit-identically after saving and loading its state mid-training', async () => {
    const batches = [samples.slice(0, 4), samples.slice(4), samples, samples.slice(2, 7)];
    const options = {
      optimizer: { lr: 1e-3 },
      schedule: { kind: 'cosine' as const, warmupSteps: 1, totalSteps: 6 },
      maxTokensPerMicroBatch: 14,
    };
    const straight = setup(options);
    const straightMetrics = [];
    for (const batch of batches) straightMetrics.push((await straight.trainer.step(batch)).metrics);

    const first = setup(options);
    await first.trainer.step(batches[0]!);
    await first.trainer.step(batches[1]!);
    const checkpoint = structuredClone({ state: await first.trainer.state(), parameters: first.policy.snapshot() });
    expect(checkpoint.state).toMatchObject({ step: 2, skippedSteps: 0, optimizer: { step: 2 } });
    // a fresh process: the policy from the saved weights, the reference from the initial ones
    const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 99, parameters: checkpoint.parameters });
    const reference = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const resumed = createGrpoTrainer({ policy, reference, ...options });
    await resumed.loadState(checkpoint.state);
    const third = await resumed.step(batches[2]!);
    const fourth = await resumed.step(batches[3]!);
    expect(sameBits(policy.parameters, straight.policy.parameters)).toBe(true);
    expect(withoutTimings(third.metrics)).toEqual(withoutTimings(straightMetrics[2]!));
    expect(withoutTimings(fourth.metrics)).toEqual(withoutTimings(straightMetrics[3]!));
    expect(await resumed.state()).toEqual(await straight.trainer.state());
  });

  it('gives the same update without rescoring the first epoch, with one forward pass less per micro-batch', async () => {
    const rescored = setup({ maxTokensPerMicroBatch: 14 });
    const reused = setup({ maxTokensPerMicroBatch: 14, rescoreFirstEpoch: false });
    const a = await rescored.trainer.step(samples);
    const b = await reused.trainer.step(samples);
    expect(sameBits(rescored.policy.parameters, reused.policy.parameters)).toBe(true);
    expect(withoutTimings(b.metrics)).toEqual(withoutTimings(a.metrics));
    expect(reused.policy.calls.scoreTokens).toBe(a.metrics.microBatchCount);
    expect(rescored.policy.calls.scoreTokens).toBe(2 * a.metrics.microBatchCount);
  });

  it('gives the same updates when the policy refills one output buffer on every call', async () => {
    const plain = setup({ ppoEpochs: 2, optimizer: { lr: 1e-3 }, maxTokensPerMicroBatch: 14 });
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const buffers = new Map<number, TokenScores>();
    const refilling = {
      ...tiny,
      async scoreTokens(batch: TokenBatch) {
        const fresh = await tiny.scoreTokens(batch);
        const buffer = buffers.get(fresh.logprobs.length) ?? {
          logprobs: new Float32Array(fresh.logprobs.length),
          entropies: new Float32Array(fresh.logprobs.length),
        };
        buffers.set(fresh.logprobs.length, buffer);
        buffer.logprobs.set(fresh.logprobs);
        buffer.entropies.set(fresh.entropies);
        return buffer;
      },
    };
    const reference = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    const trainer = createGrpoTrainer({
      policy: refilling,
      reference,
      ppoEpochs: 2,
      optimizer: { lr: 1e-3 },
      maxTokensPerMicroBatch: 14,
    });
    const expected = await plain.trainer.step(samples);
    const actual = await trainer.step(samples);
    expect(expected.metrics.epochs[1]!.ratioMax).toBeGreaterThan(1);
    expect(withoutTimings(actual.metrics)).toEqual(withoutTimings(expected.metrics));
    expect(sameBits(tiny.parameters, plain.policy.parameters)).toBe(true);
  });

  it('updates bit for bit as clipGradNorm + createAdamW on the batch gradient, with clipping and a schedule', async () => {
    const options = {
      optimizer: { lr: 1e-2, weightDecay: 0.1 },
      gradClip: 0.05,
      schedule: { kind: 'linear' as const, warmupSteps: 1, totalSteps: 5 },
      maxTokensPerMicroBatch: 14,
    };
    const trained = setup(options);
    const manual = setup(options);
    const optimizer = createAdamW({
      parameters: [...manual.policy.parameters].map(([name, value]) => ({ name, value })),
      lr: 1e-2,
      weightDecay: 0.1,
      schedule: options.schedule,
    });
    const batches = [samples, samples.slice(0, 4), samples.slice(2)];
    for (const [index, batch] of batches.entries()) {
      const result = await trained.trainer.step(batch);
      const { gradients } = await manual.trainer.computeGradients(batch);
      const norm = clipGradNorm(gradients, options.gradClip);
      expect(norm, `step ${index + 1}: clipping is active`).toBeGreaterThan(options.gradClip);
      const { learningRate } = optimizer.step(gradients);
      expect(result.metrics).toMatchObject({ gradNorm: norm, learningRate });
      expect(sameBits(trained.policy.parameters, manual.policy.parameters), `parameters after step ${index + 1}`).toBe(
        true,
      );
    }
    expect((await trained.trainer.state()).optimizer).toEqual(optimizer.saveState());
  });

  it('starts every pass from zero: gradients left in the policy do not reach the update', async () => {
    const clean = setup({ optimizer: { lr: 1e-3 } });
    const dirty = setup({ optimizer: { lr: 1e-3 } });
    dirty.policy.training.accumulate(new Map([['lm_head.bias', new Float32Array(vocabSize).fill(5)]]));
    await clean.trainer.step(samples);
    await dirty.trainer.step(samples);
    expect(sameBits(dirty.policy.parameters, clean.policy.parameters)).toBe(true);
    expect((await dirty.policy.readGradients()).size).toBe(0);
    const { gradients } = await dirty.trainer.computeGradients(samples);
    expect(gradients.size).toBe(3);
    expect((await dirty.policy.readGradients()).size, 'computeGradients leaves the accumulators zeroed').toBe(0);
  });

  it('discards the gradients of the micro-batches before a non-finite loss', async () => {
    const tiny = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 11 });
    // micro-batches of one row each; the NaN is in the last one (sample 3, length 5 starting with [5, 4])
    const policy = wrapPolicy(tiny, {
      logprob: { index: (batch) => (batch.inputIds[1] === 4 ? 0 : undefined), value: Number.NaN },
    });
    const trainer = createGrpoTrainer({ policy, lossOptions: { klCoefficient: 0 }, maxTokensPerMicroBatch: 7 });
    const result = await trainer.step(samples.slice(0, 4));
    expect(result).toMatchObject({ skipped: true, reason: 'non-finite-loss' });
    expect(policy.record.accumulated.length).toBeGreaterThan(0);
    expect((await tiny.readGradients()).size).toBe(0);
  });

  it('saves the policy’s moments and its own update count; a state of another shape is rejected before anything changes', async () => {
    const { policy, trainer } = setup({ optimizer: { lr: 1e-3 } });
    await trainer.step(samples);
    await trainer.step(samples.slice(0, 4));
    const state = await trainer.state();
    expect(state).toMatchObject({ step: 2, skippedSteps: 0, optimizer: { step: 2 } });
    expect(state.optimizer.parameters).toEqual(await policy.readOptimizerState());
    expect(Object.keys(state.optimizer.parameters)).toEqual(['embed_tokens.weight', 'lm_head.weight', 'lm_head.bias']);
    const wrong = structuredClone(state);
    wrong.optimizer.parameters['lm_head.bias']!.expAvg = new Float32Array(2);
    wrong.step = 7;
    await expect(trainer.loadState(wrong)).rejects.toThrow(/field "state\.parameters\.lm_head\.bias\.expAvg"/);
    expect(await trainer.state()).toEqual(state);
    await expect(trainer.loadState({ ...state, optimizer: { ...state.optimizer, step: -1 } })).rejects.toThrow(
      /state\.optimizer\.step/,
    );
  });

  it('reports the gradient norm before clipping', async () => {
    const { trainer } = setup({ gradClip: 1e-4 });
    const { gradients } = await trainer.computeGradients(samples);
    let squares = 0;
    for (const gradient of gradients.values()) for (const value of gradient) squares += value * value;
    expect(Math.sqrt(squares)).toBeGreaterThan(1e-3);
    const result = await trainer.step(samples);
    expectClose(result.metrics.gradNorm, Math.sqrt(squares), { rtol: 1e-12 });
  });

  it('trains a sampling policy to a higher reward (generate → reward → step)', async () => {
    const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 5, eosIds: [0] });
    const trainer = createGrpoTrainer({
      policy,
      lossOptions: { klCoefficient: 0 },
      optimizer: { lr: 0.1 },
      maxTokensPerMicroBatch: 64,
    });
    // reward: the share of the response that is word 3
    const rewardOf = (ids: number[]) => (ids.length === 0 ? 0 : ids.filter((id) => id === 3).length / ids.length);
    const meanRewards: number[] = [];
    for (let step = 0; step < 25; step++) {
      const requests = Array.from({ length: 16 }, (_, index) => ({
        inputIds: [5, 1 + (index % 4)],
        maxNewTokens: 6,
        sampling: { seed: step * 100 + index },
      }));
      const results = await policy.generate(requests);
      const batch = results.map((result, index) =>
        sample(`p${index % 4}`, rewardOf(result.outputIds), requests[index]!.inputIds, result.outputIds),
      );
      meanRewards.push(batch.reduce((sum, s) => sum + s.reward, 0) / batch.length);
      expect((await trainer.step(batch)).skipped).toBe(false);
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(meanRewards.slice(-5)), meanRewards.map((r) => r.toFixed(2)).join(' ')).toBeGreaterThan(
      mean(meanRewards.slice(0, 5)) + 0.3,
    );
  });

  it('rejects bad configuration and misbehaving policies', async () => {
    const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 1 });
    expect(() => createGrpoTrainer({ policy, maxTokensPerMicroBatch: 100 })).toThrow(
      new InvalidConfigError(
        'reference',
        'a reference policy is required when lossOptions.klCoefficient is 0.001 (set it to 0 to train without one)',
      ),
    );
    const base = { policy, maxTokensPerMicroBatch: 100, lossOptions: { klCoefficient: 0 } };
    expect(() => createGrpoTrainer({ ...base, gradClip: 0 })).toThrow(/config field "gradClip": must be > 0/);
    expect(() => createGrpoTrainer({ ...base, ppoEpochs: 0 })).toThrow(/ppoEpochs/);
    expect(() => createGrpoTrainer({ ...base, maxTokensPerMicroBatch: 1 })).toThrow(/maxTokensPerMicroBatch/);
    expect(() =>
      createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, aggregation: { mode: 'nope' as 'token-mean' } } }),
    ).toThrow(/unknown aggregation mode "nope"/);
    // every loss knob is checked when the trainer is created, not at the first loss
    expect(() => createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, clipLow: 1 } })).toThrow(
      /config field "lossOptions\.clipLow": must be in \[0, 1\)/,
    );
    expect(() => createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, logRatioClamp: 0 } })).toThrow(
      /config field "lossOptions\.logRatioClamp"/,
    );
    expect(() => createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, klEstimator: 'k4' as 'k3' } })).toThrow(
      /unknown KL estimator "k4"/,
    );
    expect(() => createGrpoTrainer({ ...base, optimizer: { lr: -1 } })).toThrow(
      /config field "optimizer\.lr": must be a finite number ≥ 0, got -1/,
    );
    expect(() => createGrpoTrainer({ ...base, optimizer: { betas: [0.9, 1] } })).toThrow(
      new InvalidConfigError('optimizer', 'betas[1] must be in [0, 1), got 1'),
    );
    expect(() => createGrpoTrainer({ ...base, optimizer: { eps: Number.NaN, weightDecay: -0.1 } })).toThrow(
      /config field "optimizer": eps must be a finite number ≥ 0, got NaN; weightDecay must be a finite number ≥ 0, got -0\.1/,
    );
    expect(() => createGrpoTrainer({ ...base, schedule: { kind: 'linear', totalSteps: 0 } })).toThrow(
      /schedule\.totalSteps/,
    );
    // an explicit undefined keeps the default
    expect(() => createGrpoTrainer({ ...base, lossOptions: { klCoefficient: undefined } })).toThrow(
      /reference policy is required/,
    );

    const trainer = createGrpoTrainer(base);
    await expect(trainer.step([])).rejects.toThrow(
      new InvalidInputError('no samples to train on', { field: 'samples' }),
    );
    await expect(trainer.step([{ ...samples[0]!, reward: '1' as unknown as number }])).rejects.toThrow(
      /field "samples\.0\.reward": reward is string/,
    );
    expect(trainer.stepCount).toBe(0);
    const running = trainer.step(samples);
    const second = trainer.step(samples);
    const gradients = trainer.computeGradients(samples);
    await expect(second).rejects.toThrow(/step\(\) was called while another step was running/);
    await expect(gradients).rejects.toThrow(/computeGradients\(\) was called while another step was running/);
    expect((await running).skipped).toBe(false);
    expect(trainer.stepCount).toBe(1);

    const short = {
      ...policy,
      scoreTokens: async (batch: TokenBatch) => ({
        logprobs: new Float32Array(1),
        entropies: new Float32Array(batch.batch * (batch.length - 1)),
      }),
    };
    await expect(createGrpoTrainer({ ...base, policy: short }).step(samples)).rejects.toThrow(
      /field "policy\.scoreTokens": returned 1 logprobs for a \[8, 7\] batch/,
    );
    // a policy whose accumulation fails: the step rejects and counts nothing
    const failing = {
      ...policy,
      accumulateGradients: async () => policy.training.accumulate(new Map([['lm_head.gamma', new Float32Array(1)]])),
    };
    const failingTrainer = createGrpoTrainer({ ...base, policy: failing });
    await expect(failingTrainer.step(samples)).rejects.toThrow(/unknown parameter "lm_head.gamma"/);
    expect(failingTrainer.stepCount).toBe(0);
  });
});

describe('createGrpoTrainer with another policy loss', () => {
  const configurations: GrpoLossOptions[] = [
    { policyLoss: 'gspo' }, // its own defaults: clip 3e-4 / 4e-4, seq-mean-token-mean
    { policyLoss: 'gspo', aggregation: { mode: 'token-mean' } }, // KL and entropy per token, the surrogate per sequence
    { policyLoss: 'geo-mean' }, // one loss per sequence, a mean over every sequence
    { policyLoss: 'sapo' },
    { policyLoss: 'cispo', aggregation: { mode: 'seq-mean-token-sum' } },
    { policyLoss: 'dapo' },
  ];

  it('the loss is computeActorLoss on the full batch, and micro-batches accumulate the same gradient', async () => {
    for (const lossOptions of configurations) {
      const label = JSON.stringify(lossOptions);
      const whole = setup({ lossOptions });
      const split = setup({ lossOptions, maxTokensPerMicroBatch: 10 });
      await whole.trainer.step(samples); // away from the reference, so that the KL term is not 0
      await split.trainer.step(samples);
      const full = await whole.trainer.computeGradients(samples);
      const parts = await split.trainer.computeGradients(samples);

      // grpo directly, on the whole batch in one call (old = current: the ratio is 1, as in the trainer's pass)
      const batch = await fullBatch(whole.policy, whole.reference, samples);
      const direct = computeActorLoss({
        ...actorLossDefaultsFor(lossOptions.policyLoss!),
        ...lossOptions,
        logprobs: batch.logprobs,
        oldLogprobs: batch.logprobs,
        refLogprobs: batch.refLogprobs,
        entropies: batch.entropies,
        advantages,
        mask: batch.mask,
        responseLength: batch.width,
      });
      expect(direct.metrics.klLoss, label).toBeGreaterThan(0);
      expectClose(full.loss, direct.loss, { atol: 1e-12, rtol: 1e-9, label: `${label} whole vs grpo` });
      expectClose(full.metrics.pgLoss, direct.metrics.pgLoss, { atol: 1e-12, rtol: 1e-9, label: `${label} pg` });
      expectClose(parts.loss, full.loss, { atol: 1e-12, rtol: 1e-9, label: `${label} split vs whole` });
      expectClose(parts.metrics.klLoss!, full.metrics.klLoss!, { atol: 1e-15, rtol: 1e-9, label: `${label} kl` });
      for (const [name, gradient] of full.gradients) {
        const largest = Math.max(...gradient.map(Math.abs));
        expect(largest).toBeGreaterThan(0);
        expectClose(parts.gradients.get(name)!, gradient, { atol: 1e-6 * largest, label: `${label} ${name}` });
      }
    }
  });

  it('takes the selected loss’s defaults and checks its knobs when created', async () => {
    // gspo clips the sequence ratio at 1 ± 3e-4 / 4e-4: a second epoch after a real update clips; vanilla's 0.2 does not
    const clipFractions = async (lossOptions: GrpoLossOptions) => {
      const { trainer } = setup({ lossOptions, ppoEpochs: 2, optimizer: { lr: 1e-2 } });
      const result = await trainer.step(samples);
      return result.metrics.epochs.map((epoch) => epoch.pgClipFrac);
    };
    const gspo = await clipFractions({ policyLoss: 'gspo' });
    expect(gspo[0]).toBe(0);
    expect(gspo[1]).toBeGreaterThan(0);
    expect(await clipFractions({})).toEqual([0, 0]);

    const policy = createTinyPolicy({ vocabSize, hiddenSize: 4, seed: 1 });
    const base = { policy, maxTokensPerMicroBatch: 100 };
    expect(() =>
      createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, policyLoss: 'nope' as 'gspo' } }),
    ).toThrow(/config field "lossOptions\.policyLoss": unknown policy loss "nope"/);
    expect(() => createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, tauPositive: 2 } })).toThrow(
      /config field "lossOptions\.tauPositive": is not read by policyLoss "vanilla" \(only by sapo\)/,
    );
    expect(() =>
      createGrpoTrainer({ ...base, lossOptions: { klCoefficient: 0, policyLoss: 'sapo', tauPositive: 0 } }),
    ).toThrow(/config field "lossOptions\.tauPositive"/);
  });
});
