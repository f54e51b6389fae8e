export { createOpenAICompletionsPolicy, type OpenAICompletionsPolicyOptions } from './create-openai-completions-policy';
export type { CompletionServer } from './completion-server';
export type { RetryEvent } from './request-completion';
