import { scoreRollout, type ScoredRollout } from '@research-ts/evaluators';
import { expectNumber } from '@research-ts/grpo';
import {
  buildPromptIds,
  promptTemplates,
  rollout,
  type PromptTemplate,
  type RolloutSample,
} from '@research-ts/rollout';
import { thinkingModes, type ThinkingMode } from '@research-ts/tags';
import { InvalidConfigError, InvalidInputError, type Policy, type Retriever, type Tokenizer } from '@research-ts/spec';
import type { GrpoStepResult, GrpoTrainer } from './grpo-trainer';
import type { TrainingSample } from './pack-trajectories';
import {
  checkDapoOptions,
  overlongFilter,
  overlongRewards,
  roundSeed,
  variedGroups,
  type DynamicSamplingOptions,
  type DynamicSamplingReport,
  type OverlongPenaltySettings,
} from './train-step-dapo';

export type { DynamicSamplingOptions, DynamicSamplingReport, OverlongPenaltySettings } from './train-step-dapo';

/** A training question: its text and the answers the reward accepts. */
export interface TrainingQuestion {
  question: string;
  goldenAnswers: readonly string[];
}

/**
 * A policy whose weights a trainer keeps in step from outside (policy-openai's `OpenAICompletionsPolicy` with a
 * weight sync): `work` runs with one weight version held, and a sync waits until it settles.
 */
export interface PinnedWeightsPolicy {
  withPinnedWeights<T>(
    work: (pinned: Policy, weightVersion: number | undefined) => Promise<T>,
    options?: { signal?: AbortSignal },
  ): Promise<T>;
}

export interface TrainStepOptions {
  /** The policy the rollouts sample from (without `rolloutPolicy`): the one `trainer` updates. */
  policy: Policy;
  /**
   * Rollouts from an external engine: each round's rollout runs inside `rolloutPolicy.withPinnedWeights`, on the
   * pinned policy (so no rollout mixes two weight versions), instead of on `policy`; the versions are reported in
   * `TrainStepResult.weightVersions`. `trainer` still scores and updates its own policy, and the caller syncs the
   * engine's weights after the step. Default: rollouts from `policy`.
   */
  rolloutPolicy?: PinnedWeightsPolicy;
  /** Advantages → loss → update (see `createGrpoTrainer`). */
  trainer: GrpoTrainer;
  retriever: Retriever;
  tokenizer: Tokenizer;
  /** How a question becomes a prompt (`buildPromptIds`). */
  template: PromptTemplate;
  /** With the `instruct` template, the chat template's thinking mode (tags' `thinkingModes`); unset: its default. */
  thinking?: ThinkingMode;
  /** Rollouts per question: the GRPO group (ReSearch: 5). */
  groupSize: number;
  /** Generated plus inserted tokens per rollout (ReSearch: 8192). */
  responseBudget: number;
  /** Generations per rollout; none by default, as in ReSearch. */
  maxTurns?: number;
  /** Passages per search (ReSearch: 5). */
  topK: number;
  /** Default 1 (ReSearch samples at temperature 1). */
  temperature?: number;
  /** Default 1. */
  topP?: number;
  /** The share of a step's searches that may fail after their retries (see `rollout`); default 0: the first failure stops the run. */
  maxFailedSearchShare?: number;
  /**
   * DAPO's dynamic sampling (Yu et al. 2025, §3.2): groups whose rewards are all equal (no advantage, no policy
   * gradient) are dropped, and more questions are rolled out (`nextQuestions` of the step's input) until the
   * batch holds as many groups as `questions` or `maxRounds` rounds have run. Off by default.
   */
  dynamicSampling?: DynamicSamplingOptions;
  /**
   * DAPO's soft overlong punishment (eq. 13, grpo's `overlongPenalty`), added to each reward: 0 up to
   * `responseBudget − bufferLength` response tokens (generated and inserted, as the budget counts them), then
   * falling linearly to `−penaltyFactor` (default 1) at the budget. Off by default.
   */
  overlongPenalty?: OverlongPenaltySettings;
  /**
   * DAPO's overlong filtering (§3.4, grpo's `overlongFilterMask`): a sample that stopped on the response budget
   * (`finishReason: 'budget'`) trains with its loss mask zeroed, as the paper masks the loss of truncated
   * samples. It keeps its place in its group, so its reward still enters its group's baseline (as TRL's
   * `mask_truncated_completions`). Default false.
   */
  overlongFiltering?: boolean;
}

/** Milliseconds of each part of one step (over every round with dynamic sampling). */
export interface TrainStepTimings {
  rolloutMs: number;
  rewardMs: number;
  /** `trainer.step`: advantages, old and reference scores, losses, backward, optimizer. */
  updateMs: number;
  totalMs: number;
}

export interface TrainStepResult {
  /** The step's questions, those of later dynamic-sampling rounds after the input's; `promptIndex` indexes them. */
  questions: readonly TrainingQuestion[];
  /**
   * `groupSize` rollouts per question, in question order (round after round); a sample's group is its
   * `promptIndex`. Without `dynamicSampling`, the rollouts of the input's questions, all trained on.
   */
  samples: RolloutSample[];
  /** The ReSearch reward and answer scores of each sample (same order). */
  scores: ScoredRollout[];
  /** The reward each sample trains with: its score's reward, plus its overlong penalty with `overlongPenalty`. */
  rewards: number[];
  /** The indices in `samples` of those the trainer got, in that order (every sample without `dynamicSampling`). */
  trainedSamples: number[];
  /** What the update did (it may have been skipped: see `GrpoStepResult`). */
  update: GrpoStepResult;
  timings: TrainStepTimings;
  /** With `dynamicSampling`: the rounds and the groups they rolled out, dropped and kept. */
  dynamicSampling?: DynamicSamplingReport;
  /** With `overlongFiltering`: the indices in `samples` of those trained with their loss mask zeroed. */
  overlongFiltered?: number[];
  /** With `rolloutPolicy`: the weight version each sample was generated with (same order as `samples`). */
  weightVersions?: (number | undefined)[];
}

export interface TrainStepInput {
  /** The step's questions: one group each. */
  questions: readonly TrainingQuestion[];
  /**
   * Seeds the rollouts' sampling: the same seed and policy give the same rollouts. Round `r ≥ 1` of dynamic
   * sampling uses `deriveSeed(seed, 'dynamic-sampling round r')`.
   */
  seed: number;
  signal?: AbortSignal;
  /**
   * With `dynamicSampling`: `count` more questions for the next round, where `count` is the number of groups
   * the batch still lacks (called once per round after the first); exactly `count` must come back. Required
   * when `dynamicSampling.maxRounds > 1`; a deterministic source (the caller's seeded random) keeps runs
   * repeatable.
   */
  nextQuestions?: (count: number) => readonly TrainingQuestion[] | Promise<readonly TrainingQuestion[]>;
}

/** One GRPO step on a batch of questions; see {@link createTrainStep}. */
export type TrainStep = (input: TrainStepInput) => Promise<TrainStepResult>;

/** The rollouts of one round, scored and rewarded, their `promptIndex` counted from the step's first question. */
interface Round {
  samples: RolloutSample[];
  scores: ScoredRollout[];
  rewards: number[];
  /** The weight version of the round's rollouts (`rolloutPolicy`); undefined otherwise. */
  weightVersion?: number | undefined;
}

/**
 * One step of ReSearch's GRPO, as data flows through it:
 *
 * 1. **rollout**: `groupSize` samples per question through the ReSearch loop (think → search → result →
 *    … → answer), sampled from `policy` with the step's seed;
 * 2. **reward**: each trajectory scored by the ReSearch rule reward against its question's answers
 *    (evaluators' `scoreRollout`: F1 of the `\boxed{}` answer, 0.1 for a good format, 0 otherwise), plus the
 *    overlong penalty with `overlongPenalty`; with `dynamicSampling`, groups of equal rewards are dropped and
 *    more questions rolled out (1 and 2 again) until the batch is full or `maxRounds` is reached;
 * 3. **advantages → loss → update**: `trainer.step` (group-relative advantages, the clipped surrogate
 *    with KL and entropy over micro-batches, one clipped AdamW update in the policy), samples that stopped on
 *    the budget masked out with `overlongFiltering`.
 *
 * A trajectory that carries the sampler's `rolloutLogprobs` (a policy that reports logprobs, as an external engine
 * asked for them) hands them to the trainer as `TrainingSample.rolloutLogprobs`, whatever the trainer: one without a
 * `rolloutCorrection` ignores them, one with it needs them (and says so when a trajectory lacks them).
 *
 * The options are checked here, before any work.
 */
export function createTrainStep(options: TrainStepOptions): TrainStep {
  const { policy, rolloutPolicy, trainer, retriever, tokenizer, template, groupSize, responseBudget, maxTurns, topK } =
    options;
  const temperature = options.temperature ?? 1;
  const topP = options.topP ?? 1;
  const maxFailedSearchShare = options.maxFailedSearchShare ?? 0;
  const positiveInteger = (value: number) => Number.isInteger(value) && value >= 1;
  expectNumber('groupSize', groupSize, positiveInteger, 'must be an integer ≥ 1');
  expectNumber('responseBudget', responseBudget, positiveInteger, 'must be an integer ≥ 1');
  if (maxTurns !== undefined) expectNumber('maxTurns', maxTurns, positiveInteger, 'must be an integer ≥ 1');
  expectNumber('topK', topK, positiveInteger, 'must be an integer ≥ 1');
  expectNumber('temperature', temperature, (value) => value >= 0 && Number.isFinite(value), 'must be ≥ 0');
  expectNumber('topP', topP, (value) => value > 0 && value <= 1, 'must be in (0, 1]');
  expectNumber('maxFailedSearchShare', maxFailedSearchShare, (value) => value >= 0 && value <= 1, 'must be in [0, 1]');
  if (options.thinking !== undefined && !Object.hasOwn(thinkingModes, options.thinking)) {
    const expected = Object.keys(thinkingModes).map((name) => JSON.stringify(name));
    throw new InvalidConfigError(
      'thinking',
      `is ${JSON.stringify(options.thinking)}; expected one of ${expected.join(', ')}`,
    );
  }
  const promptOptions = options.thinking === undefined ? {} : { thinking: options.thinking };
  if (!Object.hasOwn(promptTemplates, template)) {
    const expected = Object.keys(promptTemplates).map((name) => JSON.stringify(name));
    throw new InvalidConfigError('template', `is ${JSON.stringify(template)}; expected one of ${expected.join(', ')}`);
  }
  if (rolloutPolicy !== undefined && typeof rolloutPolicy.withPinnedWeights !== 'function') {
    throw new InvalidConfigError('rolloutPolicy', 'must have withPinnedWeights(work) (an OpenAICompletionsPolicy)');
  }
  const { dynamicSampling, overlongPenalty, overlongFiltering } = checkDapoOptions(options);

  /** 1. rollout and 2. reward of `questions`, the first of them being question `offset` of the step. */
  async function rolloutRound(
    questions: readonly TrainingQuestion[],
    offset: number,
    seed: number,
    signal: AbortSignal | undefined,
    timings: { rolloutMs: number; rewardMs: number },
  ): Promise<Round> {
    const started = performance.now();
    const rolloutOn = (samplingPolicy: Policy) =>
      rollout({
        policy: samplingPolicy,
        retriever,
        tokenizer,
        prompts: questions.map((question) => buildPromptIds(tokenizer, question.question, template, promptOptions)),
        samplesPerPrompt: groupSize,
        responseBudget,
        ...(maxTurns === undefined ? {} : { maxTurns }),
        topK,
        sampling: { temperature, topP, seed },
        maxFailedSearchShare,
        ...(signal === undefined ? {} : { signal }),
      });
    const { rolledOut, weightVersion } =
      rolloutPolicy === undefined
        ? { rolledOut: await rolloutOn(policy), weightVersion: undefined }
        : await rolloutPolicy.withPinnedWeights(
            async (pinned, version) => ({ rolledOut: await rolloutOn(pinned), weightVersion: version }),
            signal === undefined ? {} : { signal },
          );
    const samples =
      offset === 0
        ? rolledOut
        : rolledOut.map((sample) => ({
            ...sample,
            promptIndex: offset + sample.promptIndex,
            sample: (offset + sample.promptIndex) * groupSize + sample.sampleIndex,
          }));
    const rewarded = performance.now();
    timings.rolloutMs += rewarded - started;
    const scores = rolledOut.map(({ trajectory, promptIndex }) =>
      scoreRollout(trajectory, questions[promptIndex]!.goldenAnswers, tokenizer),
    );
    const rewards = overlongRewards(scores, samples, responseBudget, overlongPenalty);
    timings.rewardMs += performance.now() - rewarded;
    return { samples, scores, rewards, weightVersion };
  }

  return async function trainStep({ questions, seed, signal, nextQuestions }) {
    const started = performance.now();
    const timings = { rolloutMs: 0, rewardMs: 0 };
    const maxRounds = dynamicSampling?.maxRounds ?? 1;
    if (maxRounds > 1 && typeof nextQuestions !== 'function') {
      throw new InvalidInputError(
        `dynamicSampling with maxRounds ${maxRounds} needs nextQuestions(count) to refill the batch`,
        { field: 'nextQuestions' },
      );
    }
    const all: Round & { questions: TrainingQuestion[] } = { questions: [], samples: [], scores: [], rewards: [] };
    const trainedSamples: number[] = [];
    const weightVersions: (number | undefined)[] = [];
    const report: DynamicSamplingReport = { rounds: 0, generatedGroups: 0, droppedGroups: 0, keptGroups: 0 };
    for (let round = 0; round < maxRounds && report.keptGroups < questions.length; round++) {
      const missing = questions.length - report.keptGroups;
      const roundQuestions = round === 0 ? questions : await nextQuestions!(missing);
      if (roundQuestions.length !== missing) {
        throw new InvalidInputError(`returned ${roundQuestions.length} questions for ${missing}`, {
          field: 'nextQuestions',
        });
      }
      const offset = all.questions.length;
      const { samples, scores, rewards, weightVersion } = await rolloutRound(
        roundQuestions,
        offset,
        roundSeed(seed, round),
        signal,
        timings,
      );
      const first = all.samples.length;
      all.questions.push(...roundQuestions);
      all.samples.push(...samples);
      all.scores.push(...scores);
      all.rewards.push(...rewards);
      for (const _sample of samples) weightVersions.push(weightVersion);
      const keep = dynamicSampling === undefined ? undefined : variedGroups(samples, rewards, report, missing);
      for (let index = 0; index < samples.length; index++) if (keep?.[index] !== 0) trainedSamples.push(first + index);
    }
    // 3. advantages → loss → update
    const filtered = overlongFiltering ? overlongFilter(all.samples, responseBudget) : undefined;
    const batch = trainingBatch(all, trainedSamples, filtered?.keep, questions.length * groupSize);
    const rewarded = performance.now();
    const update = await trainer.step(batch);
    const updated = performance.now();
    const result: TrainStepResult = {
      questions: all.questions,
      samples: all.samples,
      scores: all.scores,
      rewards: all.rewards,
      trainedSamples,
      update,
      timings: { ...timings, updateMs: updated - rewarded, totalMs: updated - started },
    };
    if (dynamicSampling !== undefined) result.dynamicSampling = report;
    if (filtered !== undefined) result.overlongFiltered = filtered.indices;
    if (rolloutPolicy !== undefined) result.weightVersions = weightVersions;
    return result;
  };
}

/**
 * The trainer's samples: those in `trained`, grouped by question, rewards as computed, the loss mask zeroed
 * where `keep` is 0. With no sample to train on (dynamic sampling found no group with varied rewards), the first
 * `firstRound` samples with every loss mask zeroed, so that the trainer counts the step and skips its update
 * (`'no-loss-tokens'`): the optimizer and its schedule do not move.
 */
function trainingBatch(
  all: Round,
  trained: readonly number[],
  keep: Uint8Array | undefined,
  firstRound: number,
): TrainingSample[] {
  const nothing = trained.length === 0;
  const chosen = nothing ? Array.from({ length: firstRound }, (_, index) => index) : trained;
  return chosen.map((index) => {
    const { trajectory, promptIndex } = all.samples[index]!;
    const zeroed = nothing || (keep !== undefined && keep[index] === 0);
    const { rolloutLogprobs } = trajectory;
    return {
      trajectory: zeroed ? { ...trajectory, lossMask: new Uint8Array(trajectory.lossMask.length) } : trajectory,
      groupId: promptIndex,
      reward: all.rewards[index]!,
      ...(rolloutLogprobs === undefined ? {} : { rolloutLogprobs }),
    };
  });
}
