import { scoreRollout, type ScoredRollout } from '@research-ts/evaluators';
import { expectNumber } from '@research-ts/grpo';
import {
  buildPromptIds,
  promptTemplates,
  rollout,
  type PromptTemplate,
  type RolloutSample,
} from '@research-ts/rollout';
import { InvalidConfigError, type Policy, type Retriever, type Tokenizer } from '@research-ts/spec';
import type { GrpoStepResult, GrpoTrainer } from './grpo-trainer';

/** A training question: its text and the answers the reward accepts. */
export interface TrainingQuestion {
  question: string;
  goldenAnswers: readonly string[];
}

export interface TrainStepOptions {
  /** The policy the rollouts sample from: the one `trainer` updates. */
  policy: Policy;
  /** Advantages → loss → update (see {@link createGrpoTrainer}). */
  trainer: GrpoTrainer;
  retriever: Retriever;
  tokenizer: Tokenizer;
  /** How a question becomes a prompt (`buildPromptIds`). */
  template: PromptTemplate;
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
}

/** Milliseconds of each part of one step. */
export interface TrainStepTimings {
  rolloutMs: number;
  rewardMs: number;
  /** `trainer.step`: advantages, old and reference scores, losses, backward, optimizer. */
  updateMs: number;
  totalMs: number;
}

export interface TrainStepResult {
  /** `groupSize` rollouts per question, in question order; a sample's group is its `promptIndex`. */
  samples: RolloutSample[];
  /** The ReSearch reward and answer scores of each sample (same order). */
  scores: ScoredRollout[];
  /** What the update did (it may have been skipped: see `GrpoStepResult`). */
  update: GrpoStepResult;
  timings: TrainStepTimings;
}

export interface TrainStepInput {
  questions: readonly TrainingQuestion[];
  /** Seeds the rollouts' sampling: the same seed and policy give the same rollouts. */
  seed: number;
  signal?: AbortSignal;
}

/** One GRPO step on a batch of questions; see {@link createTrainStep}. */
export type TrainStep = (input: TrainStepInput) => Promise<TrainStepResult>;

/**
 * One step of ReSearch's GRPO, as data flows through it:
 *
 * 1. **rollout**: `groupSize` samples per question through the ReSearch loop (think → search → result →
 *    … → answer), sampled from `policy` with the step's seed;
 * 2. **reward**: each trajectory scored by the ReSearch rule reward against its question's answers
 *    (evaluators' `scoreRollout`: F1 of the `\boxed{}` answer, 0.1 for a good format, 0 otherwise);
 * 3. **advantages → loss → update**: `trainer.step` (group-relative advantages, the clipped surrogate
 *    with KL and entropy over micro-batches, one clipped AdamW update in the policy).
 *
 * The options are checked here, before any work.
 */
export function createTrainStep(options: TrainStepOptions): TrainStep {
  const { policy, trainer, retriever, tokenizer, template, groupSize, responseBudget, maxTurns, topK } = options;
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
  if (!Object.hasOwn(promptTemplates, template)) {
    const expected = Object.keys(promptTemplates).map((name) => JSON.stringify(name));
    throw new InvalidConfigError('template', `is ${JSON.stringify(template)}; expected one of ${expected.join(', ')}`);
  }

  return async function trainStep({ questions, seed, signal }) {
    const started = performance.now();
    // 1. rollout
    const samples = await rollout({
      policy,
      retriever,
      tokenizer,
      prompts: questions.map((question) => buildPromptIds(tokenizer, question.question, template)),
      samplesPerPrompt: groupSize,
      responseBudget,
      ...(maxTurns === undefined ? {} : { maxTurns }),
      topK,
      sampling: { temperature, topP, seed },
      maxFailedSearchShare,
      ...(signal === undefined ? {} : { signal }),
    });
    const rolledOut = performance.now();
    // 2. reward
    const scores = samples.map(({ trajectory, promptIndex }) =>
      scoreRollout(trajectory, questions[promptIndex]!.goldenAnswers, tokenizer),
    );
    const rewarded = performance.now();
    // 3. advantages → loss → update
    const update = await trainer.step(
      samples.map(({ trajectory, promptIndex }, index) => ({
        trajectory,
        groupId: promptIndex,
        reward: scores[index]!.reward,
      })),
    );
    const updated = performance.now();
    const timings = {
      rolloutMs: rolledOut - started,
      rewardMs: rewarded - rolledOut,
      updateMs: updated - rewarded,
      totalMs: updated - started,
    };
    return { samples, scores, update, timings };
  };
}
