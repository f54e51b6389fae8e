import { ApiCallError, UnsupportedError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createTestTokenizer, encodeCharacterByCharacter } from './__fixtures__/test-tokenizer';
import {
  choiceToResult,
  createChoiceAccumulator,
  readCompletionChoice,
  tokenIdsFromLogprobTokens,
  type ChoiceToResultContext,
  type CompletionChoice,
} from './completion-choice';

const tokenizer = createTestTokenizer();
const url = 'http://127.0.0.1:1/v1/completions';
const context: ChoiceToResultContext = { server: 'vllm', url, stopStrings: ['</search>'], tokenizer, logprobs: false };
const asTokenIds = (ids: readonly number[]) => ids.map((id) => `token_id:${id}`);

function choice(fields: Partial<CompletionChoice>): CompletionChoice {
  return {
    text: '',
    finishReason: 'stop',
    stopDetail: undefined,
    tokenIds: undefined,
    logprobTokens: undefined,
    tokenLogprobs: undefined,
    ...fields,
  };
}

describe('readCompletionChoice', () => {
  it('reads a vLLM choice with logprobs, stop_reason and token_ids', () => {
    const raw = {
      index: 0,
      text: 'ab',
      logprobs: {
        tokens: ['token_id:7', 'token_id:8'],
        token_logprobs: [-0.5, -1],
        top_logprobs: [{ 'token_id:7': -0.5 }, null],
        text_offset: [0, 10],
      },
      finish_reason: 'stop',
      stop_reason: '</search>',
      token_ids: [7, 8],
    };
    expect(readCompletionChoice(raw, url)).toEqual({
      text: 'ab',
      finishReason: 'stop',
      stopDetail: '</search>',
      tokenIds: [7, 8],
      logprobTokens: ['token_id:7', 'token_id:8'],
      tokenLogprobs: [-0.5, -1],
    });
  });

  it('reads SGLang matched_stop, llama.cpp stopping_word and tokens, and absent details', () => {
    expect(readCompletionChoice({ text: 'x', finish_reason: 'stop', matched_stop: 151645 }, url).stopDetail).toBe(
      151645,
    );
    expect(readCompletionChoice({ text: 'x', finish_reason: 'stop', stop_reason: null }, url).stopDetail).toBeNull();
    expect(
      readCompletionChoice({ text: 'x', finish_reason: 'stop', stopping_word: '</search>', tokens: [4, 5] }, url),
    ).toMatchObject({
      stopDetail: '</search>',
      tokenIds: [4, 5],
    });
    expect(
      readCompletionChoice({ text: 'x', finish_reason: 'stop', stopping_word: '', tokens: [] }, url),
    ).toMatchObject({ stopDetail: undefined, tokenIds: undefined });
    expect(readCompletionChoice({ text: 'x', finish_reason: null, logprobs: null }, url)).toMatchObject({
      finishReason: null,
      logprobTokens: undefined,
    });
  });

  it('throws a non-retryable ApiCallError naming the problem for a wrong shape', () => {
    const read = (raw: unknown) => () => readCompletionChoice(raw, url);
    expect(read({ text: 3 })).toThrow(`unexpected completion from ${url}: choice.text is not a string: {"text":3}`);
    expect(read('text')).toThrow('a choice is not an object');
    expect(read({ text: '', finish_reason: 5 })).toThrow('choice.finish_reason is not a string');
    expect(read({ text: '', stop_reason: 1.5 })).toThrow('choice.stop_reason is not a string, an integer or null');
    let caught: unknown;
    try {
      read({ text: null })();
    } catch (error) {
      caught = error;
    }
    expect(ApiCallError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ isRetryable: false, statusCode: 200, url });
  });
});

describe('tokenIdsFromLogprobTokens', () => {
  it('reads token_id:N entries and gives up on any other form', () => {
    expect(tokenIdsFromLogprobTokens(['token_id:0', 'token_id:151645'])).toEqual([0, 151645]);
    expect(tokenIdsFromLogprobTokens([])).toEqual([]);
    expect(tokenIdsFromLogprobTokens(['token_id:1', ' the'])).toBeUndefined();
    expect(tokenIdsFromLogprobTokens(['token_id:-1'])).toBeUndefined();
    expect(tokenIdsFromLogprobTokens(undefined)).toBeUndefined();
  });
});

describe('choiceToResult', () => {
  const searchText = '<search> Paris </search>';
  const searchIds = encodeCharacterByCharacter(tokenizer, searchText);

  it('vLLM stop string kept in the text: ids from token_id:N, no text appended', () => {
    const { result, appendedText } = choiceToResult(
      choice({ text: searchText, stopDetail: '</search>', logprobTokens: asTokenIds(searchIds) }),
      context,
    );
    expect(result).toEqual({
      outputIds: searchIds,
      text: searchText,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
    expect(appendedText).toBe('');
  });

  it('prefers choices[].token_ids over logprob tokens', () => {
    const { result } = choiceToResult(
      choice({ text: 'ab', stopDetail: null, tokenIds: [9, 10, 2], logprobTokens: asTokenIds([2]) }),
      context,
    );
    expect(result.outputIds).toEqual([9, 10, 2]);
    expect(result.finishReason).toBe('eos');
  });

  it('a stripped stop string (SGLang) is appended back to the text; server ids are kept as sent', () => {
    const { result, appendedText } = choiceToResult(
      choice({ text: '<search> Paris ', stopDetail: '</search>', tokenIds: searchIds }),
      { ...context, server: 'sglang' },
    );
    expect(appendedText).toBe('</search>');
    expect(result).toEqual({
      outputIds: searchIds,
      text: searchText,
      finishReason: 'stop-string',
      stopString: '</search>',
    });
  });

  it('without server ids, re-encodes the restored text with the tokenizer (merged tokens: approximate)', () => {
    const { result } = choiceToResult(choice({ text: '<search> Paris ', stopDetail: '</search>' }), {
      ...context,
      server: 'sglang',
    });
    expect(result.text).toBe(searchText);
    expect(result.outputIds).toEqual(tokenizer.encode(searchText));
    expect(result.outputIds).not.toEqual(searchIds);
    expect(tokenizer.decode(result.outputIds)).toBe(searchText);
  });

  it('no stop detail (OpenAI, llama.cpp): a text ending in a stop string is a stop-string finish, else EOS', () => {
    const generic = { ...context, server: 'generic' as const, stopStrings: ['</search>', 'h>'] };
    const kept = choiceToResult(choice({ text: searchText }), generic).result;
    expect(kept).toMatchObject({ finishReason: 'stop-string', stopString: '</search>', text: searchText });
    const eos = choiceToResult(choice({ text: 'done' }), generic);
    expect(eos.result).toEqual({
      outputIds: [...tokenizer.encode('done'), 2],
      text: 'done<|im_end|>',
      finishReason: 'eos',
    });
    expect(eos.appendedText).toBe('<|im_end|>');
  });

  it('EOS on the tokenizer path: an EOS already in the text is not added twice', () => {
    const { result, appendedText } = choiceToResult(choice({ text: 'ok<|endoftext|>', stopDetail: null }), {
      ...context,
      server: 'generic',
    });
    expect(result.outputIds).toEqual([...tokenizer.encode('ok'), 0]);
    expect(appendedText).toBe('');
  });

  it('a stop token id (integer detail) is an EOS finish; a missing final id is appended', () => {
    const withId = choiceToResult(
      choice({ text: 'ok<|im_end|>', stopDetail: 2, tokenIds: [...tokenizer.encode('ok'), 2] }),
      context,
    );
    expect(withId.result).toEqual({
      outputIds: [...tokenizer.encode('ok'), 2],
      text: 'ok<|im_end|>',
      finishReason: 'eos',
    });
    const trimmed = choiceToResult(choice({ text: 'ok', stopDetail: 2, tokenIds: tokenizer.encode('ok') }), {
      ...context,
      server: 'sglang',
    });
    expect(trimmed.result).toEqual({
      outputIds: [...tokenizer.encode('ok'), 2],
      text: 'ok<|im_end|>',
      finishReason: 'eos',
    });
    const stopToken = choiceToResult(choice({ text: 'ok', stopDetail: tokenizer.tokenToId('!')! }), {
      ...context,
      server: 'generic',
    });
    expect(stopToken.result.outputIds).toEqual([...tokenizer.encode('ok'), tokenizer.tokenToId('!')]);
    expect(stopToken.result.text).toBe('ok!');
  });

  it('length: ids and text as sent, nothing appended', () => {
    const ids = encodeCharacterByCharacter(tokenizer, 'abc');
    expect(choiceToResult(choice({ text: 'abc', finishReason: 'length', tokenIds: ids }), context)).toEqual({
      result: { outputIds: ids, text: 'abc', finishReason: 'length' },
      appendedText: '',
    });
  });

  it('reports logprobs only when asked and one per output id', () => {
    const ids = [5, 6];
    const asked = { ...context, logprobs: true };
    expect(
      choiceToResult(choice({ text: 'ab', finishReason: 'length', tokenIds: ids, tokenLogprobs: [-1, -2] }), asked)
        .result.logprobs,
    ).toEqual([-1, -2]);
    expect(
      choiceToResult(choice({ text: 'ab', finishReason: 'length', tokenIds: ids, tokenLogprobs: [-1, -2] }), context)
        .result.logprobs,
    ).toBeUndefined();
    expect(
      choiceToResult(choice({ text: 'ab', finishReason: 'length', tokenIds: ids, tokenLogprobs: [-1] }), asked).result
        .logprobs,
    ).toBeUndefined();
    expect(
      choiceToResult(choice({ text: 'ab', finishReason: 'length', tokenIds: ids, tokenLogprobs: [-1, null] }), asked)
        .result.logprobs,
    ).toBeUndefined();
  });

  it('throws UnsupportedError when there are neither server ids nor a tokenizer', () => {
    const call = () =>
      choiceToResult(choice({ text: 'ab', finishReason: 'length' }), { ...context, tokenizer: undefined });
    expect(call).toThrow(UnsupportedError);
    expect(call).toThrow(
      `token ids is not available: the vllm server at ${url} returned no token ids (no choices[].token_ids, no "token_id:N" logprob tokens); pass a tokenizer to re-encode the text`,
    );
  });

  it('throws ApiCallError for abort (retryable), a missing finish (retryable) and other finishes (not)', () => {
    const failure = (finishReason: string | null) => {
      try {
        choiceToResult(choice({ text: 'x', finishReason, tokenIds: [1] }), context);
      } catch (error) {
        return error as ApiCallError;
      }
      throw new Error('expected a throw');
    };
    expect(failure('abort')).toMatchObject({
      isRetryable: true,
      message: `the server at ${url} aborted the generation (finish_reason "abort")`,
    });
    expect(failure(null)).toMatchObject({
      isRetryable: true,
      message: `the completion from ${url} has no finish_reason: the response ended early`,
    });
    expect(failure('content_filter')).toMatchObject({
      isRetryable: false,
      message: `the server at ${url} ended the generation with finish_reason "content_filter"`,
    });
  });
});

describe('createChoiceAccumulator', () => {
  it('concatenates text, ids and logprobs of stream deltas and keeps the final finish', () => {
    const accumulator = createChoiceAccumulator();
    accumulator.add(
      choice({
        text: 'He',
        finishReason: null,
        tokenIds: [1, 2],
        logprobTokens: ['token_id:1', 'token_id:2'],
        tokenLogprobs: [-1, -2],
      }),
    );
    accumulator.add(choice({ text: '', finishReason: null }));
    accumulator.add(
      choice({
        text: 'y',
        finishReason: 'stop',
        stopDetail: 'y',
        tokenIds: [3],
        logprobTokens: ['token_id:3'],
        tokenLogprobs: [-3],
      }),
    );
    expect(accumulator.current()).toEqual({
      text: 'Hey',
      finishReason: 'stop',
      stopDetail: 'y',
      tokenIds: [1, 2, 3],
      logprobTokens: ['token_id:1', 'token_id:2', 'token_id:3'],
      tokenLogprobs: [-1, -2, -3],
    });
  });
});
