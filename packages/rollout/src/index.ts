export { buildPromptIds, promptTemplates, type PromptTemplate } from './build-prompt-ids';
export { buildReSearchPrompt, type PromptOptions, type ReSearchTemplate } from './build-research-prompt';
export { createTrajectory, type TrajectoryParts } from './create-trajectory';
export { rollout, type RolloutOptions, type RolloutSample } from './rollout';
export { probeRetriever, type ProbeRetrieverOptions } from './probe-retriever';
export { SEARCH_STOP_STRINGS } from './rollout-steps';
export { countSearches, type SearchCounts } from './search-failures';
export { defaultRetryOptions, searchWithRetry, type RetryOptions, type SearchOutcome } from './search-with-retry';
export { maxTurns, tokenBudget, type StopPredicate, type StopState } from './stop-predicates';
