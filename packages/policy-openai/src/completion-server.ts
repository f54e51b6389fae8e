/**
 * The OpenAI-compatible servers this package knows. Each differs in what `/v1/completions` accepts
 * beyond the OpenAI fields and in what it returns; {@link completionServerProfiles} records it.
 */
export type CompletionServer = 'vllm' | 'sglang' | 'llama.cpp' | 'generic';

export interface CompletionServerProfile {
  /** `token-ids`: `prompt` is the list of ints; `text`: the ids are decoded with the tokenizer first. */
  readonly prompt: 'token-ids' | 'text';
  /** The server takes `top_k` (not an OpenAI field). */
  readonly topK: boolean;
  /** The server takes `stop_token_ids` (not an OpenAI field). */
  readonly stopTokenIds: boolean;
  /** The server can return the generated token ids; otherwise a tokenizer re-encodes the text. */
  readonly returnsTokenIds: boolean;
  /** Extra body fields that make the server keep stop strings and special tokens and return ids. */
  extensionFields(settings: { logprobs: boolean }): Record<string, unknown>;
}

export const completionServers = [
  'vllm',
  'sglang',
  'llama.cpp',
  'generic',
] as const satisfies readonly CompletionServer[];

/**
 * What each server is sent and what it is trusted to return (the README cites the sources):
 * - vLLM: `include_stop_str_in_output` keeps the stop string in `text`; `skip_special_tokens: false`
 *   keeps `<|im_end|>` in it; ids come from `choices[].token_ids` (`return_token_ids`, newer vLLM) or from
 *   `logprobs.tokens` entries `token_id:N` (`return_tokens_as_token_ids`, which needs `logprobs` set, so
 *   `logprobs: 0` is sent when logprobs are not wanted: it returns the sampled token only).
 * - SGLang: `no_stop_trim` keeps the stop string (older servers strip it; it is appended back);
 *   ids from `choices[].token_ids` (`return_token_ids`).
 * - llama.cpp: token-id prompts and `top_k` are accepted; `return_tokens` is sent for servers that
 *   echo ids in `tokens`; stop strings are stripped (appended back); no stop token ids.
 * - generic (OpenAI and others): text prompt, OpenAI fields only, ids re-encoded by the tokenizer.
 */
export const completionServerProfiles: Record<CompletionServer, CompletionServerProfile> = {
  vllm: {
    prompt: 'token-ids',
    topK: true,
    stopTokenIds: true,
    returnsTokenIds: true,
    extensionFields: ({ logprobs }) => ({
      logprobs: logprobs ? 1 : 0,
      return_tokens_as_token_ids: true,
      return_token_ids: true,
      include_stop_str_in_output: true,
      skip_special_tokens: false,
    }),
  },
  sglang: {
    prompt: 'token-ids',
    topK: true,
    stopTokenIds: true,
    returnsTokenIds: true,
    extensionFields: ({ logprobs }) => ({
      ...(logprobs ? { logprobs: 1 } : {}),
      return_token_ids: true,
      no_stop_trim: true,
      skip_special_tokens: false,
    }),
  },
  'llama.cpp': {
    prompt: 'token-ids',
    topK: true,
    stopTokenIds: false,
    returnsTokenIds: false,
    extensionFields: ({ logprobs }) => ({ ...(logprobs ? { logprobs: 1 } : {}), return_tokens: true }),
  },
  generic: {
    prompt: 'text',
    topK: false,
    stopTokenIds: false,
    returnsTokenIds: false,
    extensionFields: ({ logprobs }) => (logprobs ? { logprobs: 1 } : {}),
  },
};
