import { InvalidInputError, UnsupportedError, type GenerateRequest } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { buildCompletionRequestBody, type BuildCompletionRequestBodyOptions } from './build-completion-request-body';

const tokenizer = createTestTokenizer();
const prompt = tokenizer.encode('Q: the capital?\n');
const request: GenerateRequest = {
  inputIds: prompt,
  maxNewTokens: 64,
  stopStrings: ['</search>'],
  stopTokenIds: [2],
  sampling: { temperature: 0.7, topP: 0.9, topK: 20, seed: 42 },
};
const base: BuildCompletionRequestBodyOptions = {
  server: 'vllm',
  model: 'qwen',
  tokenizer,
  logprobs: false,
  stream: false,
  index: 0,
};

describe('buildCompletionRequestBody', () => {
  it('sends vLLM every field, the token-id prompt and the vLLM extensions', () => {
    expect(buildCompletionRequestBody(request, base)).toEqual({
      model: 'qwen',
      prompt,
      max_tokens: 64,
      temperature: 0.7,
      top_p: 0.9,
      top_k: 20,
      seed: 42,
      stop: ['</search>'],
      stop_token_ids: [2],
      logprobs: 0,
      return_tokens_as_token_ids: true,
      return_token_ids: true,
      include_stop_str_in_output: true,
      skip_special_tokens: false,
    });
  });

  it('asks vLLM for logprobs: 1 when logprobs are wanted, and for a stream when streaming', () => {
    const body = buildCompletionRequestBody(request, { ...base, logprobs: true, stream: true });
    expect(body.logprobs).toBe(1);
    expect(body.stream).toBe(true);
  });

  it('sends SGLang no_stop_trim and return_token_ids, and logprobs only when wanted', () => {
    const body = buildCompletionRequestBody(request, { ...base, server: 'sglang' });
    expect(body).toEqual({
      model: 'qwen',
      prompt,
      max_tokens: 64,
      temperature: 0.7,
      top_p: 0.9,
      top_k: 20,
      seed: 42,
      stop: ['</search>'],
      stop_token_ids: [2],
      return_token_ids: true,
      no_stop_trim: true,
      skip_special_tokens: false,
    });
    expect(buildCompletionRequestBody(request, { ...base, server: 'sglang', logprobs: true }).logprobs).toBe(1);
  });

  it('sends a generic server a text prompt and OpenAI fields only', () => {
    const body = buildCompletionRequestBody(request, { ...base, server: 'generic', logprobs: true });
    expect(body).toEqual({
      model: 'qwen',
      prompt: 'Q: the capital?\n',
      max_tokens: 64,
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
      stop: ['</search>'],
      logprobs: 1,
    });
  });

  it('decodes special tokens into a text prompt', () => {
    const body = buildCompletionRequestBody(
      { inputIds: [...tokenizer.encode('hi'), 2], maxNewTokens: 1 },
      { ...base, server: 'generic' },
    );
    expect(body.prompt).toBe('hi<|im_end|>');
  });

  it('sends llama.cpp token ids, top_k and return_tokens, but no stop_token_ids', () => {
    const body = buildCompletionRequestBody(request, { ...base, server: 'llama.cpp' });
    expect(body).toEqual({
      model: 'qwen',
      prompt,
      max_tokens: 64,
      temperature: 0.7,
      top_p: 0.9,
      top_k: 20,
      seed: 42,
      stop: ['</search>'],
      return_tokens: true,
    });
  });

  it('leaves out unset sampling fields, top_k 0, and empty stop lists', () => {
    const body = buildCompletionRequestBody(
      { inputIds: [5], maxNewTokens: 3, stopStrings: [], stopTokenIds: [], sampling: { topK: 0 } },
      { ...base, server: 'sglang' },
    );
    expect(body).toEqual({
      model: 'qwen',
      prompt: [5],
      max_tokens: 3,
      return_token_ids: true,
      no_stop_trim: true,
      skip_special_tokens: false,
    });
  });

  it('merges extraBody last', () => {
    const body = buildCompletionRequestBody(
      { inputIds: [5], maxNewTokens: 3 },
      { ...base, extraBody: { repetition_penalty: 1.1, logprobs: 5 } },
    );
    expect(body.repetition_penalty).toBe(1.1);
    expect(body.logprobs).toBe(5);
  });

  it('accepts EOS stop token ids on servers without stop_token_ids and refuses others', () => {
    expect(() =>
      buildCompletionRequestBody(
        { inputIds: [5], maxNewTokens: 3, stopTokenIds: [0, 2] },
        { ...base, server: 'generic' },
      ),
    ).not.toThrow();
    const refused = () =>
      buildCompletionRequestBody(
        { inputIds: [5], maxNewTokens: 3, stopTokenIds: [2, 7] },
        { ...base, server: 'llama.cpp', index: 2 },
      );
    expect(refused).toThrow(UnsupportedError);
    expect(refused).toThrow(
      "stopTokenIds is not available: the llama.cpp server has no stop_token_ids; only the tokenizer's EOS ids (2, 0) can stop it, not 7 (requests[2].stopTokenIds)",
    );
  });

  it('needs a tokenizer for a text prompt', () => {
    expect(() =>
      buildCompletionRequestBody(
        { inputIds: [5], maxNewTokens: 3 },
        { ...base, server: 'generic', tokenizer: undefined },
      ),
    ).toThrow(
      'text prompts is not available: the generic server takes text prompts; pass a tokenizer to decode inputIds',
    );
  });

  const invalid: Array<[string, Partial<GenerateRequest>, string]> = [
    ['empty inputIds', { inputIds: [] }, 'field "requests[3].inputIds": must be a non-empty array of token ids'],
    ['a negative id', { inputIds: [4, -1] }, 'field "requests[3].inputIds[1]": must be a non-negative integer, got -1'],
    [
      'a fractional maxNewTokens',
      { maxNewTokens: 2.5 },
      'field "requests[3].maxNewTokens": must be a non-negative integer, got 2.5',
    ],
    [
      'an empty stop string',
      { stopStrings: ['a', ''] },
      'field "requests[3].stopStrings[1]": must be a non-empty string',
    ],
    [
      'a bad stop token id',
      { stopTokenIds: [Number.NaN] },
      'field "requests[3].stopTokenIds[0]": must be a non-negative integer, got NaN',
    ],
    [
      'a negative temperature',
      { sampling: { temperature: -1 } },
      'field "requests[3].sampling.temperature": must be a finite number >= 0, got -1',
    ],
    ['topP 0', { sampling: { topP: 0 } }, 'field "requests[3].sampling.topP": must be in (0, 1], got 0'],
    [
      'a fractional topK',
      { sampling: { topK: 1.5 } },
      'field "requests[3].sampling.topK": must be a non-negative integer, got 1.5',
    ],
    [
      'a fractional seed',
      { sampling: { seed: 0.5 } },
      'field "requests[3].sampling.seed": must be a safe integer, got 0.5',
    ],
  ];
  for (const [what, change, message] of invalid) {
    it(`refuses ${what} with InvalidInputError naming the field`, () => {
      const call = () =>
        buildCompletionRequestBody({ inputIds: [5], maxNewTokens: 3, ...change }, { ...base, index: 3 });
      expect(call).toThrow(InvalidInputError);
      expect(call).toThrow(message);
    });
  }
});
