import type { GenerateRequest, Passage, Policy } from '@research-ts/spec';
import { MockPolicy, MockRetriever, MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { GrpoStepResult, GrpoTrainer } from './grpo-trainer';
import type { TrainingSample } from './pack-trajectories';
import { createTrainStep, type PinnedWeightsPolicy, type TrainStepOptions } from './train-step';

const tokenizer = new MockTokenizer();
const corpus: Passage[] = [{ id: 'p1', contents: '"Paris"\nParis is in France.' }];
const questions = [{ question: 'capital of France?', goldenAnswers: ['Paris'] }];
const script = (_request: GenerateRequest, { contextText }: { contextText: string }) =>
  contextText.includes('<result>')
    ? '<answer>\\boxed{Paris}</answer><|im_end|>'
    : '<think>look</think><search>Paris</search>';

/** A sampler that reports a logprob per output id, as a server asked for them does. */
function samplerPolicy(name: string): Policy & { calls: number } {
  const inner = new MockPolicy({ tokenizer, script });
  const policy = {
    specificationVersion: 'v1' as const,
    name,
    calls: 0,
    async generate(requests: readonly GenerateRequest[]) {
      policy.calls += 1;
      const results = await inner.generate(requests);
      return results.map((result) => ({ ...result, logprobs: result.outputIds.map((id) => -(id % 5) / 4) }));
    },
  };
  return policy;
}

/** An external engine at weight version `version`, recording the pins. */
function pinnedEngine(version: number): PinnedWeightsPolicy & { sampler: Policy & { calls: number }; pins: number } {
  const sampler = samplerPolicy('engine');
  const engine = {
    sampler,
    pins: 0,
    async withPinnedWeights<T>(work: (pinned: Policy, weightVersion: number | undefined) => Promise<T>) {
      engine.pins += 1;
      return work(sampler, version);
    },
  };
  return engine;
}

function recordingTrainer(): GrpoTrainer & { batches: TrainingSample[][] } {
  const batches: TrainingSample[][] = [];
  return {
    batches,
    stepCount: 0,
    skippedSteps: 0,
    step: async (samples) => {
      batches.push([...samples]);
      return { skipped: false, metrics: { step: batches.length } } as unknown as GrpoStepResult;
    },
    computeGradients: () => Promise.reject(new Error('not used')),
    state: () => Promise.reject(new Error('not used')),
    loadState: () => Promise.reject(new Error('not used')),
  };
}

const settings = (trainer: GrpoTrainer, policy: Policy): TrainStepOptions => ({
  policy,
  trainer,
  retriever: new MockRetriever(corpus),
  tokenizer,
  template: 'compact',
  groupSize: 2,
  responseBudget: 200,
  topK: 1,
});

describe('createTrainStep with rollouts from an external engine', () => {
  it('rolls out on the pinned policy, reports its version per sample, and hands the trainer the sampler logprobs', async () => {
    const trainer = recordingTrainer();
    const local = samplerPolicy('local');
    const engine = pinnedEngine(3);
    const { samples, weightVersions } = await createTrainStep({ ...settings(trainer, local), rolloutPolicy: engine })({
      questions,
      seed: 1,
    });
    expect(local.calls).toBe(0);
    expect(engine.pins).toBe(1);
    expect(engine.sampler.calls).toBe(2); // the first turn, then the turn after the search
    expect(weightVersions).toEqual([3, 3]);
    const batch = trainer.batches[0]!;
    batch.forEach((sample, index) => {
      expect(sample.rolloutLogprobs).toBe(samples[index]!.trajectory.rolloutLogprobs);
      expect(sample.rolloutLogprobs).toHaveLength(sample.trajectory.responseIds.length);
    });
  });

  it('passes trajectories without logprobs as before: no rolloutLogprobs field, no weightVersions', async () => {
    const trainer = recordingTrainer();
    const result = await createTrainStep(settings(trainer, new MockPolicy({ tokenizer, script })))({
      questions,
      seed: 1,
    });
    expect('weightVersions' in result).toBe(false);
    for (const sample of trainer.batches[0]!)
      expect(Object.keys(sample).sort()).toEqual(['groupId', 'reward', 'trajectory']);
  });

  it('refuses a rolloutPolicy without withPinnedWeights', () => {
    const create = () =>
      createTrainStep({
        ...settings(recordingTrainer(), samplerPolicy('x')),
        rolloutPolicy: {} as PinnedWeightsPolicy,
      });
    expect(create).toThrow(/rolloutPolicy.*withPinnedWeights/);
  });
});
