import {
  ApiCallError,
  UnsupportedError,
  type FinishReason,
  type GenerateResult,
  type Tokenizer,
} from '@research-ts/spec';
import type { CompletionServer } from './completion-server';

/**
 * The fields of one `choices[]` entry of a `/v1/completions` response that this package reads, in one
 * shape for every server (and for a stream, merged over its chunks by {@link createChoiceAccumulator}).
 */
export interface CompletionChoice {
  text: string;
  /** `stop`, `length`, … ; `null` while a stream is still going. */
  finishReason: string | null;
  /**
   * What ended a `stop` finish: vLLM's `stop_reason`, SGLang's `matched_stop`, llama.cpp's
   * `stopping_word`. A string is the matched stop string, an integer the stop token id, `null` EOS;
   * `undefined` when the server sent none of these fields.
   */
  stopDetail: string | number | null | undefined;
  /** Generated ids sent by the server (`token_ids`, or llama.cpp's `tokens`). */
  tokenIds: number[] | undefined;
  /** `logprobs.tokens`: with vLLM's `return_tokens_as_token_ids`, entries `token_id:123`. */
  logprobTokens: string[] | undefined;
  /** `logprobs.token_logprobs`. */
  tokenLogprobs: Array<number | null> | undefined;
}

const bodyExcerptLength = 500;

function protocolError(url: string, problem: string, raw: unknown): ApiCallError {
  const body = safeStringify(raw);
  return new ApiCallError(`unexpected completion from ${url}: ${problem}: ${body.slice(0, bodyExcerptLength)}`, {
    url,
    statusCode: 200,
    responseBody: body,
    isRetryable: false,
  });
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const isIntegerArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((item) => Number.isInteger(item));

/** Reads one raw `choices[]` entry (of a full response or of a stream chunk); throws `ApiCallError` on a wrong shape. */
export function readCompletionChoice(raw: unknown, url: string): CompletionChoice {
  if (typeof raw !== 'object' || raw === null) throw protocolError(url, 'a choice is not an object', raw);
  const choice = raw as Record<string, unknown>;
  if (typeof choice.text !== 'string') throw protocolError(url, 'choice.text is not a string', raw);
  const finishReason = choice.finish_reason ?? null;
  if (finishReason !== null && typeof finishReason !== 'string')
    throw protocolError(url, 'choice.finish_reason is not a string', raw);

  let stopDetail: CompletionChoice['stopDetail'];
  for (const key of ['stop_reason', 'matched_stop'] as const) {
    if (!(key in choice)) continue;
    const value = choice[key];
    if (value === null || typeof value === 'string' || Number.isInteger(value))
      stopDetail ??= value as string | number | null;
    else throw protocolError(url, `choice.${key} is not a string, an integer or null`, raw);
  }
  if (stopDetail === undefined && typeof choice.stopping_word === 'string' && choice.stopping_word !== '')
    stopDetail = choice.stopping_word;

  let tokenIds: number[] | undefined;
  if (isIntegerArray(choice.token_ids)) tokenIds = choice.token_ids;
  else if (isIntegerArray(choice.tokens) && choice.tokens.length > 0) tokenIds = choice.tokens;

  let logprobTokens: string[] | undefined;
  let tokenLogprobs: Array<number | null> | undefined;
  if (choice.logprobs !== undefined && choice.logprobs !== null) {
    const logprobs = choice.logprobs as Record<string, unknown>;
    if (typeof logprobs !== 'object') throw protocolError(url, 'choice.logprobs is not an object', raw);
    if (Array.isArray(logprobs.tokens) && logprobs.tokens.every((token) => typeof token === 'string'))
      logprobTokens = logprobs.tokens as string[];
    if (
      Array.isArray(logprobs.token_logprobs) &&
      logprobs.token_logprobs.every((value) => value === null || typeof value === 'number')
    ) {
      tokenLogprobs = logprobs.token_logprobs as Array<number | null>;
    }
  }
  return { text: choice.text, finishReason, stopDetail, tokenIds, logprobTokens, tokenLogprobs };
}

/** Merges the choice deltas of a stream (vLLM sends text, ids and logprobs per chunk as deltas). */
export interface ChoiceAccumulator {
  add(delta: CompletionChoice): void;
  /** The merged choice so far. */
  current(): CompletionChoice;
}

export function createChoiceAccumulator(): ChoiceAccumulator {
  const merged: CompletionChoice = {
    text: '',
    finishReason: null,
    stopDetail: undefined,
    tokenIds: undefined,
    logprobTokens: undefined,
    tokenLogprobs: undefined,
  };
  const append = <T>(into: T[] | undefined, items: T[] | undefined): T[] | undefined =>
    items === undefined ? into : into === undefined ? [...items] : (into.push(...items), into);
  return {
    add(delta) {
      merged.text += delta.text;
      merged.tokenIds = append(merged.tokenIds, delta.tokenIds);
      merged.logprobTokens = append(merged.logprobTokens, delta.logprobTokens);
      merged.tokenLogprobs = append(merged.tokenLogprobs, delta.tokenLogprobs);
      if (delta.finishReason !== null) {
        merged.finishReason = delta.finishReason;
        merged.stopDetail = delta.stopDetail;
      }
    },
    current: () => merged,
  };
}

export interface ChoiceToResultContext {
  server: CompletionServer;
  url: string;
  stopStrings: readonly string[];
  tokenizer: Tokenizer | undefined;
  logprobs: boolean;
}

/** A {@link GenerateResult} and the text this package added to what the server sent (a stripped stop string, an EOS). */
export interface ChoiceResult {
  result: GenerateResult;
  appendedText: string;
}

const tokenIdPattern = /^token_id:(\d+)$/;

/** The ids of vLLM's `logprobs.tokens` when every entry is `token_id:N`; otherwise undefined. */
export function tokenIdsFromLogprobTokens(tokens: readonly string[] | undefined): number[] | undefined {
  if (tokens === undefined) return undefined;
  const ids: number[] = [];
  for (const token of tokens) {
    const match = tokenIdPattern.exec(token);
    if (match === null) return undefined;
    ids.push(Number(match[1]));
  }
  return ids;
}

/**
 * Turns a finished choice into a {@link GenerateResult}:
 * - `length` → `'length'`; `stop` with a string detail → `'stop-string'`; with an integer (stop token id)
 *   or `null` (EOS) → `'eos'`. Without any detail (OpenAI, llama.cpp's OpenAI endpoint) a text ending with
 *   a requested stop string is `'stop-string'`, anything else `'eos'`.
 * - A stop string the server stripped from `text` (SGLang without `no_stop_trim`, llama.cpp, OpenAI) is
 *   appended back, as ReSearch does after SGLang.
 * - Ids: the server's own (`token_ids`, llama.cpp `tokens`, or vLLM `token_id:N` entries), else the
 *   tokenizer re-encodes the text (approximate: the model may have emitted another split of the same
 *   text), and an `'eos'` finish gets its EOS id (and that token's text) appended. With neither, it throws
 *   `UnsupportedError`.
 * - Logprobs, when asked, only if the server sent one per output id.
 */
export function choiceToResult(choice: CompletionChoice, context: ChoiceToResultContext): ChoiceResult {
  const { finishReason, stopDetail } = choice;
  let finish: FinishReason;
  let stopString: string | undefined;
  if (finishReason === 'length') {
    finish = 'length';
  } else if (finishReason === 'stop') {
    if (typeof stopDetail === 'string') {
      finish = 'stop-string';
      stopString = stopDetail;
    } else if (stopDetail === undefined) {
      stopString = longestStopStringEnding(choice.text, context.stopStrings);
      finish = stopString === undefined ? 'eos' : 'stop-string';
    } else {
      finish = 'eos';
    }
  } else if (finishReason === 'abort') {
    throw new ApiCallError(`the server at ${context.url} aborted the generation (finish_reason "abort")`, {
      url: context.url,
      statusCode: 200,
      isRetryable: true,
    });
  } else if (finishReason === null) {
    throw new ApiCallError(`the completion from ${context.url} has no finish_reason: the response ended early`, {
      url: context.url,
      statusCode: 200,
      isRetryable: true,
    });
  } else {
    throw new ApiCallError(`the server at ${context.url} ended the generation with finish_reason "${finishReason}"`, {
      url: context.url,
      statusCode: 200,
      isRetryable: false,
    });
  }

  let appendedText = '';
  if (stopString !== undefined && !choice.text.endsWith(stopString)) appendedText += stopString;

  const tokenizer = context.tokenizer;
  const eosText = (id: number) => (tokenizer === undefined ? '' : tokenizer.decode([id], { skipSpecialTokens: false }));
  let outputIds =
    choice.tokenIds !== undefined ? [...choice.tokenIds] : tokenIdsFromLogprobTokens(choice.logprobTokens);
  if (outputIds !== undefined) {
    if (finish === 'eos' && typeof stopDetail === 'number' && outputIds.at(-1) !== stopDetail) {
      outputIds.push(stopDetail);
      const text = eosText(stopDetail);
      if (!(choice.text + appendedText).endsWith(text)) appendedText += text;
    }
  } else {
    if (tokenizer === undefined) {
      throw new UnsupportedError(
        'token ids',
        `the ${context.server} server at ${context.url} returned no token ids (no choices[].token_ids, no "token_id:N" logprob tokens); pass a tokenizer to re-encode the text`,
      );
    }
    outputIds = tokenizer.encode(choice.text + appendedText, { addSpecialTokens: false });
    if (finish === 'eos') {
      const eosId = typeof stopDetail === 'number' ? stopDetail : primaryEosId(tokenizer);
      const endsWithEos =
        typeof stopDetail === 'number'
          ? outputIds.at(-1) === stopDetail
          : tokenizer.eosTokenIds.includes(outputIds.at(-1) ?? -1);
      if (eosId !== undefined && !endsWithEos) {
        outputIds.push(eosId);
        appendedText += eosText(eosId);
      }
    }
  }

  const result: GenerateResult = { outputIds, text: choice.text + appendedText, finishReason: finish };
  if (stopString !== undefined) result.stopString = stopString;
  if (context.logprobs) {
    const logprobs = choice.tokenLogprobs;
    if (
      logprobs !== undefined &&
      logprobs.length === outputIds.length &&
      logprobs.every((value) => typeof value === 'number')
    ) {
      result.logprobs = logprobs as number[];
    }
  }
  return { result, appendedText };
}

/** The id of the tokenizer's primary EOS token (`eosToken`), else its first EOS id. */
function primaryEosId(tokenizer: Tokenizer): number | undefined {
  const fromToken = tokenizer.eosToken === undefined ? undefined : tokenizer.tokenToId(tokenizer.eosToken);
  return fromToken ?? tokenizer.eosTokenIds[0];
}

function longestStopStringEnding(text: string, stopStrings: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const stop of stopStrings)
    if (text.endsWith(stop) && (found === undefined || stop.length > found.length)) found = stop;
  return found;
}
