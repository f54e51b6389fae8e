import { scoreRollout } from '@research-ts/evaluators';
import { overlongPenalty } from '@research-ts/grpo';
import { InvalidConfigError, type Passage } from '@research-ts/spec';
import { expectClose, MockPolicy, MockRetriever, MockTokenizer } from '@research-ts/testing';
import { describe, expect, it } from 'vitest';
import { createTinyPolicy } from '../test/tiny-policy';
import { createGrpoTrainer, type GrpoStepResult, type GrpoTrainer } from './grpo-trainer';
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
      [{ thinking: 'open' as never }, /thinking.*"open".*"native", "closed"/],
    ];
    for (const [change, message] of cases) {
      const create = () => createTrainStep({ ...base, ...change });
      expect(create).toThrow(message);
    }
    expect(() => createTrainStep({ ...base, template: 'chat' as never })).toThrow(InvalidConfigError);
  });
});

describe('createTrainStep with DAPO options', () => {
  const golden = ['yes'];
  const answer = (right: boolean) => `<think>x</think><answer>\\boxed{${right ? 'yes' : 'no'}}</answer><|im_end|>`;
  /** "easy" questions are always answered right (equal rewards); "coin" ones right when the sample's seed is even. */
  const coinPolicy = () =>
    new MockPolicy({
      tokenizer,
      script: (request, { contextText }) => answer(contextText.includes('easy') || request.sampling!.seed! % 2 === 0),
    });
  const easy = (n: number) => ({ question: `easy ${n}?`, goldenAnswers: golden });
  const coin = (n: number) => ({ question: `coin ${n}?`, goldenAnswers: golden });
  /** A deterministic question source: the pool in order, recording each request. */
  const source = (pool: { question: string; goldenAnswers: string[] }[]) => {
    const asked: number[] = [];
    let next = 0;
    const nextQuestions = (count: number) => {
      asked.push(count);
      const questions = pool.slice(next, next + count);
      next += count;
      return questions;
    };
    return { asked, nextQuestions };
  };
  const dapoSettings = (trainer: GrpoTrainer, policy: MockPolicy = coinPolicy()): TrainStepOptions => ({
    ...settings(trainer),
    policy,
    dynamicSampling: { maxRounds: 4 },
  });
  const groupsOf = (batch: readonly TrainingSample[]) => {
    const groups = new Map<string | number, number[]>();
    for (const sample of batch) groups.set(sample.groupId, [...(groups.get(sample.groupId) ?? []), sample.reward]);
    return groups;
  };

  it('drops groups of equal rewards and refills from nextQuestions, deterministically with the seed', async () => {
    const run = async (seed: number) => {
      const trainer = recordingTrainer();
      const policy = coinPolicy();
      const { asked, nextQuestions } = source([easy(3), coin(1), coin(2), easy(4), coin(3), coin(4), coin(5), coin(6)]);
      const trainStep = createTrainStep(dapoSettings(trainer, policy));
      const result = await trainStep({ questions: [easy(0), coin(0), easy(1)], seed, nextQuestions });
      const seeds = policy.calls.flatMap((call) => call.requests.map((request) => request.sampling!.seed));
      return { result, batch: trainer.batches[0]!, asked, seeds };
    };
    const { result, batch, asked, seeds } = await run(7);
    const report = result.dynamicSampling!;
    // round 1: coin 0 kept, the easy ones dropped; round 2 (2 asked): easy 3 dropped, coin 1 kept; round 3: coin 2
    expect(asked).toEqual([2, 1]);
    expect(result.questions.map((question) => question.question)).toEqual([
      'easy 0?',
      'coin 0?',
      'easy 1?',
      'easy 3?',
      'coin 1?',
      'coin 2?',
    ]);
    expect(report).toEqual({ rounds: 3, generatedGroups: 6, droppedGroups: 3, keptGroups: 3 });
    expect([...groupsOf(batch).keys()]).toEqual([1, 4, 5]);
    expect(result.trainedSamples).toEqual([4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
    // every group trained on has varied rewards
    for (const [groupId, rewards] of groupsOf(batch))
      expect(new Set(rewards).size, `group ${groupId}`).toBeGreaterThan(1);
    // samples, scores and rewards cover every round; the trainer got exactly trainedSamples
    expect(result.samples).toHaveLength(4 * result.questions.length);
    expect(result.samples.map((sample) => sample.promptIndex)).toEqual(
      result.questions.flatMap((_, index) => [index, index, index, index]),
    );
    expect(result.samples.map((sample) => sample.sample)).toEqual(result.samples.map((_, index) => index));
    expect(batch.map((sample) => sample.trajectory)).toEqual(
      result.trainedSamples.map((index) => result.samples[index]!.trajectory),
    );
    expect(batch.map((sample) => sample.reward)).toEqual(result.trainedSamples.map((index) => result.rewards[index]));
    result.scores.forEach((score, index) => expect(result.rewards[index]).toBe(score.reward));

    // the same seed and source: the same rounds; round r > 0 samples with a seed derived from the step's
    const again = await run(7);
    expect(again.batch).toEqual(batch);
    expect(again.seeds).toEqual(seeds);
    expect(again.result.dynamicSampling).toEqual(report);
    expect(new Set(seeds).size).toBe(seeds.length);
    const other = await run(8);
    expect(other.seeds).not.toEqual(seeds);
  });

  it('stops at maxRounds; with no group kept the trainer gets the first round with every loss mask zeroed', async () => {
    const trainer = recordingTrainer();
    const { asked, nextQuestions } = source([easy(2), easy(3), easy(4)]);
    const trainStep = createTrainStep({ ...dapoSettings(trainer), dynamicSampling: { maxRounds: 2 } });
    const result = await trainStep({ questions: [easy(0), easy(1)], seed: 1, nextQuestions });
    expect(asked).toEqual([2]);
    expect(result.dynamicSampling).toEqual({ rounds: 2, generatedGroups: 4, droppedGroups: 4, keptGroups: 0 });
    expect(result.trainedSamples).toEqual([]);
    const batch = trainer.batches[0]!;
    expect(batch).toHaveLength(8);
    expect(batch.map((sample) => sample.groupId)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    for (const sample of batch) expect([...sample.trajectory.lossMask].every((m) => m === 0)).toBe(true);
    expect(batch.map((sample) => sample.trajectory.responseIds)).toEqual(
      result.samples.slice(0, 8).map((sample) => sample.trajectory.responseIds),
    );

    // a real trainer skips that step without touching the policy
    const tiny = createTinyPolicy({ vocabSize: 200, hiddenSize: 4, seed: 3 });
    const real = createGrpoTrainer({ policy: tiny, lossOptions: { klCoefficient: 0 }, maxTokensPerMicroBatch: 4096 });
    const step = createTrainStep({ ...dapoSettings(real), dynamicSampling: { maxRounds: 1 } });
    const skipped = await step({ questions: [easy(0), easy(1)], seed: 1 });
    expect(skipped.update).toMatchObject({ skipped: true, reason: 'no-loss-tokens' });
    expect(tiny.calls.scoreTokens).toBe(0);
    expect(real.skippedSteps).toBe(1);
  });

  it('keeps a group of one (verl does) and needs nextQuestions only when a refill may be asked for', async () => {
    const trainer = recordingTrainer();
    const single = createTrainStep({ ...dapoSettings(trainer), groupSize: 1, dynamicSampling: { maxRounds: 1 } });
    const result = await single({ questions: [easy(0), coin(0)], seed: 2 });
    expect(result.dynamicSampling).toEqual({ rounds: 1, generatedGroups: 2, droppedGroups: 0, keptGroups: 2 });
    await expect(createTrainStep(dapoSettings(recordingTrainer()))({ questions, seed: 1 })).rejects.toThrow(
      /field "nextQuestions": dynamicSampling with maxRounds 4 needs nextQuestions/,
    );
    const short = createTrainStep(dapoSettings(recordingTrainer()));
    await expect(short({ questions: [easy(0)], seed: 1, nextQuestions: () => [] })).rejects.toThrow(
      /field "nextQuestions": returned 0 questions for 1/,
    );
  });

  /** "long" questions run to the response budget; the others answer in 45 tokens, "tiny" ones in 29. */
  const lengthPolicy = () =>
    new MockPolicy({
      tokenizer,
      script: (_request, { contextText }) =>
        contextText.includes('long')
          ? 'x'.repeat(500)
          : contextText.includes('tiny')
            ? '<answer>\\boxed{yes}</answer><|im_end|>'
            : answer(true),
    });
  const lengthQuestions = [
    { question: 'long?', goldenAnswers: golden },
    { question: 'mid?', goldenAnswers: golden },
    { question: 'tiny?', goldenAnswers: golden },
  ];

  it('adds the soft overlong penalty to exactly the rewards of responses past budget − bufferLength', async () => {
    const trainer = recordingTrainer();
    const penalty = { bufferLength: 60, penaltyFactor: 0.5 };
    const trainStep = createTrainStep({
      ...settings(trainer),
      policy: lengthPolicy(),
      groupSize: 2,
      responseBudget: 100,
      overlongPenalty: penalty,
    });
    const { samples, scores, rewards } = await trainStep({ questions: lengthQuestions, seed: 5 });
    const lengths = samples.map((sample) => sample.trajectory.responseIds.length);
    expect(lengths).toEqual([100, 100, 45, 45, 29, 29]);
    expect(samples.map((sample) => sample.trajectory.finishReason)).toEqual([
      'budget',
      'budget',
      'eos',
      'eos',
      'eos',
      'eos',
    ]);
    const options = { maxResponseLength: 100, ...penalty };
    rewards.forEach((reward, index) =>
      expect(reward).toBe(scores[index]!.reward + overlongPenalty(lengths[index]!, options)),
    );
    // −f at the budget, f·(40 − 45)/60 five tokens into the buffer, 0 before it
    const penalties = lengths.map((length) => overlongPenalty(length, options));
    expectClose(penalties, [-0.5, -0.5, (0.5 * (40 - 45)) / 60, (0.5 * (40 - 45)) / 60, 0, 0], { atol: 1e-15 });
    expect(rewards[4]).toBe(scores[4]!.reward); // untouched below the buffer
    expect(trainer.batches[0]!.map((sample) => sample.reward)).toEqual(rewards);
  });

  it('masks out the samples that stopped on the budget, and only those', async () => {
    const trainer = recordingTrainer();
    const trainStep = createTrainStep({
      ...settings(trainer),
      policy: lengthPolicy(),
      groupSize: 2,
      responseBudget: 100,
      overlongFiltering: true,
    });
    const { samples, overlongFiltered, trainedSamples } = await trainStep({ questions: lengthQuestions, seed: 5 });
    expect(overlongFiltered).toEqual([0, 1]);
    expect(trainedSamples).toEqual([0, 1, 2, 3, 4, 5]);
    const batch = trainer.batches[0]!;
    batch.forEach((sample, index) => {
      const original = samples[index]!.trajectory;
      if (index < 2) {
        expect(sample.trajectory.lossMask).toEqual(new Uint8Array(100));
        expect(sample.trajectory.responseIds).toBe(original.responseIds);
        expect(
          original.lossMask.some((m) => m === 1),
          'the rollout itself is untouched',
        ).toBe(true);
      } else {
        expect(sample.trajectory).toBe(original);
      }
    });
  });

  it('checks the DAPO options when it is created, naming the field', () => {
    const base = settings(recordingTrainer());
    const cases: [Partial<TrainStepOptions>, RegExp][] = [
      [{ dynamicSampling: { maxRounds: 0 } }, /"dynamicSampling\.maxRounds": must be an integer ≥ 1, got 0/],
      [{ dynamicSampling: {} as never }, /"dynamicSampling\.maxRounds"/],
      [
        { overlongPenalty: { bufferLength: 201 } },
        /"overlongPenalty\.bufferLength": must be in \(0, responseBudget = 200\]/,
      ],
      [{ overlongPenalty: { bufferLength: 10, penaltyFactor: -1 } }, /"overlongPenalty\.penaltyFactor"/],
      [{ overlongFiltering: 'yes' as never }, /"overlongFiltering": must be a boolean/],
    ];
    for (const [change, message] of cases) {
      expect(() => createTrainStep({ ...base, ...change })).toThrow(message);
      expect(() => createTrainStep({ ...base, ...change })).toThrow(InvalidConfigError);
    }
  });
});
