export type { Judge, JudgeItem, JudgeVerdict } from './judge';
export { delay } from './delay';
export { splitPassageContents, type Passage } from './passage';
export { splitWorldWords } from './split-world-words';
export type { FinishReason, GenerateOptions, GenerateRequest, GenerateResult, Policy, SamplingOptions } from './policy';
export {
  ApiCallError,
  InvalidConfigError,
  InvalidInputError,
  ResearchError,
  TimeoutError,
  UnsupportedError,
  type ConfigIssue,
  type InputLocation,
} from './research-error';
export type { Retriever, RetrieverSearchOptions } from './retriever';
export type { RewardFunction, RewardInput, RewardResult } from './reward';
export type { RolloutEvent } from './rollout-event';
export type { ApplyChatTemplateOptions, ChatMessage, Tokenizer } from './tokenizer';
export type {
  AdamWMoments,
  AdamWParameterState,
  ParameterUpdate,
  ParameterUpdateResult,
  TokenBatch,
  TokenScoreGradients,
  TokenScores,
  TrainablePolicy,
} from './trainable-policy';
export type { SearchRecord, Trajectory, TrajectoryFinishReason, TrajectorySegment } from './trajectory';
export { adamWConstants, applyAdamW, gradClipCoefficient, sumOfSquares, type AdamWConstants } from './adamw-math';
export {
  checkAdamWMoments,
  checkParameterUpdate,
  createHostTrainingState,
  trainingStateMethods,
  type HostTrainingState,
  type TrainingStateLike,
  type TrainingStateMethods,
} from './host-training-state';
export { backoffDelay, type BackoffSettings } from './backoff-delay';
export { parseRetryAfter, type HeaderSource } from './retry-after';
export { withRetries, type RetryNotice, type RetryPolicy, type RetryResult, type TryOutcome } from './with-retries';
export { createSemaphore, type ReleaseSlot, type Semaphore } from './semaphore';
export { deriveSeed, SeededRandom, splitMix32, type RandomState } from './seeded-random';
export { configIssuesOf, invalidConfigOf, type SchemaIssue } from './config-issues';
