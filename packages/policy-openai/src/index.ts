export {
  createOpenAICompletionsPolicy,
  type OpenAICompletionsPolicy,
  type OpenAICompletionsPolicyOptions,
} from './create-openai-completions-policy';
export type { CompletionServer } from './completion-server';
export type { RetryEvent } from './request-completion';
export type { ServerControlOptions } from './post-control-request';
export type { PathMapping } from './server-path';
export { createVllmLoraClient, type VllmLoraClient } from './vllm-lora-client';
export {
  createSglangWeightsClient,
  type SglangWeightsClient,
  type UpdateWeightsFromDiskRequest,
  type UpdateWeightsFromDiskResult,
} from './sglang-weights-client';
export {
  adapterNameFor,
  createWeightSync,
  weightSyncKinds,
  type WeightPin,
  type WeightSync,
  type WeightSyncKind,
  type WeightSyncOptions,
  type WeightSyncResult,
} from './weight-sync';
export { rolloutStaleness, type RolloutStaleness } from './rollout-staleness';
