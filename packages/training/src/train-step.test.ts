import { scoreRollout } from '@research-ts/evaluators';
import { InvalidConfigError, type Passage } from '@research-ts/spec';
import { MockPolicy, MockRetriever, MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import type { GrpoStepResult, GrpoTrainer } from './grpo-trainer';
import type { TrainingSample } from './pack-trajectories';
import { createTrainStep, type TrainStepOptions } from './train-step';

const tokenizer = new MockTokenizer();
const corpus: Passage[] = [{ id: 'p1', contents: '"Paris"\nParis is in France.' }];
const questions = [
  { question: 'capital of France?', goldenAnswers: ['Paris'] },
  { question: 'two plus two?', goldenAnswers: ['4'] },
];

/** The first question is searched once and answered from the result; the second answered at once, wrongly. */
const policy = () =>
  new MockPolicy({
    tokenizer,
    script: (_request, { contextText }) => {
      if (!contextText.includes('France?')) return '<think>x</think><answer>\\boxed{5}</answer><|im_end|>';
      if (!contextText.includes('<result>')) return '<think>look</think><search>Paris</search>';
      return '<think>found</think><answer>\\boxed{Paris}</answer><|im_end|>';
    },
  });

/** A trainer that records what it was given (the update itself is `createGrpoTrainer`'s, tested beside it). */
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

const settings = (trainer: GrpoTrainer): TrainStepOptions => ({
  policy: policy(),
  trainer,
  retriever: new MockRetriever(corpus),
  tokenizer,
  template: 'compact',
  groupSize: 4,
  responseBudget: 200,
  topK: 1,
});

describe('createTrainStep', () => {
  it('rolls out groupSize samples per question, scores each with the ReSearch reward, and trains on them grouped by question', async () => {
    const trainer = recordingTrainer();
    const trainStep = createTrainStep(settings(trainer));
    const { samples, scores, update, timings } = await trainStep({ questions, seed: 3 });

    expect(samples.map((sample) => [sample.promptIndex, sample.sampleIndex])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    // the reward is exactly evaluators' scoreRollout against the sample's own question
    scores.forEach((score, index) => {
      const { trajectory, promptIndex } = samples[index]!;
      expect(score).toEqual(scoreRollout(trajectory, questions[promptIndex]!.goldenAnswers, tokenizer));
    });
    expect(scores.map((score) => score.reward)).toEqual([1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1]);
    expect(scores.map((score) => score.searches)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);

    // the trainer got every trajectory once, its group the question, its reward the score
    expect(trainer.batches).toHaveLength(1);
    expect(trainer.batches[0]!.map((sample) => [sample.groupId, sample.reward])).toEqual(
      samples.map((sample, index) => [sample.promptIndex, scores[index]!.reward]),
    );
    expect(trainer.batches[0]!.map((sample) => sample.trajectory)).toEqual(samples.map((sample) => sample.trajectory));
    expect(update).toMatchObject({ skipped: false });
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.rolloutMs + timings.rewardMs + timings.updateMs - 1e-6);
  });

  it('samples every request with the settings, seeded from the step seed (the same seed, the same seeds)', async () => {
    const seedsOf = async (seed: number) => {
      const options = settings(recordingTrainer());
      await createTrainStep({ ...options, temperature: 0.7, topP: 0.9 })({ questions, seed });
      const requests = (options.policy as MockPolicy).calls.flatMap((call) => call.requests);
      for (const request of requests) expect(request.sampling).toMatchObject({ temperature: 0.7, topP: 0.9 });
      return requests.map((request) => request.sampling?.seed);
    };
    const seeds = await seedsOf(41);
    expect(seeds).toHaveLength(12); // 8 first turns, 4 turns after a search
    expect(new Set(seeds).size).toBe(12);
    expect(await seedsOf(41)).toEqual(seeds);
    expect(await seedsOf(42)).not.toEqual(seeds);
  });

  it('checks every option when it is created, naming the field', () => {
    const base = settings(recordingTrainer());
    const cases: [Partial<TrainStepOptions>, RegExp][] = [
      [{ groupSize: 0 }, /groupSize.*integer ≥ 1/],
      [{ responseBudget: 1.5 }, /responseBudget.*integer ≥ 1/],
      [{ maxTurns: 0 }, /maxTurns.*integer ≥ 1/],
      [{ topK: -1 }, /topK.*integer ≥ 1/],
      [{ temperature: -0.1 }, /temperature.*≥ 0/],
      [{ topP: 0 }, /topP.*\(0, 1\]/],
      [{ maxFailedSearchShare: 2 }, /maxFailedSearchShare.*\[0, 1\]/],
      [{ template: 'chat' as never }, /template.*"chat".*"base", "instruct", "compact"/],
    ];
    for (const [change, message] of cases) {
      const create = () => createTrainStep({ ...base, ...change });
      expect(create).toThrow(message);
    }
    expect(() => createTrainStep({ ...base, template: 'chat' as never })).toThrow(InvalidConfigError);
  });
});
