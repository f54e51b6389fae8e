import {
  InvalidInputError,
  SeededRandom,
  type GenerateOptions,
  type GenerateRequest,
  type GenerateResult,
  type Tokenizer,
} from '@research-ts/spec';
import { randomBytes } from 'node:crypto';
import { GenerationText } from './generation-text';
import { resolveSampling, type SampledToken, type SamplingSettings } from './sampling';

/** One request of a `generate` call while it runs: its sampling state, text and output so far. */
export interface Sequence {
  index: number;
  request: GenerateRequest;
  settings: SamplingSettings;
  random: SeededRandom;
  text: GenerationText;
  endIds: ReadonlySet<number>;
  /** Ids whose keys and values are in the cache. */
  cachedIds: number[];
  /** The sampled id not yet fed to the model. */
  pending: number;
  outputIds: number[];
  logprobs: number[];
  result: GenerateResult | undefined;
}

function checkRequest(request: GenerateRequest, index: number, vocabSize: number): void {
  const source = `requests[${index}]`;
  if (!Array.isArray(request.inputIds) || request.inputIds.length === 0)
    throw new InvalidInputError('must be a non-empty array of token ids', { source, field: 'inputIds' });
  for (const [position, id] of request.inputIds.entries()) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new InvalidInputError(`id ${id} at ${position} is outside the vocabulary [0, ${vocabSize})`, {
        source,
        field: 'inputIds',
      });
  }
  if (!Number.isSafeInteger(request.maxNewTokens) || request.maxNewTokens < 0)
    throw new InvalidInputError(`must be an integer >= 0, got ${request.maxNewTokens}`, {
      source,
      field: 'maxNewTokens',
    });
  for (const id of request.stopTokenIds ?? []) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new InvalidInputError(`id ${id} is outside the vocabulary [0, ${vocabSize})`, {
        source,
        field: 'stopTokenIds',
      });
  }
}

/**
 * Checks the requests of a `generate` call and makes their sequences: one RNG per request seeded by
 * `sampling.seed` (random when absent); a request for 0 new tokens is finished at once.
 */
export function createSequences(
  requests: readonly GenerateRequest[],
  tokenizer: Tokenizer,
  vocabSize: number,
): Sequence[] {
  requests.forEach((request, index) => checkRequest(request, index, vocabSize));
  return requests.map((request, index) => ({
    index,
    request,
    settings: resolveSampling(request.sampling, `requests[${index}].sampling`),
    random: new SeededRandom(request.sampling?.seed ?? randomBytes(4).readUInt32LE(0)),
    text: new GenerationText(tokenizer, request.stopStrings ?? []),
    endIds: new Set([...tokenizer.eosTokenIds, ...(request.stopTokenIds ?? [])]),
    cachedIds: [],
    pending: -1,
    outputIds: [],
    logprobs: [],
    result:
      request.maxNewTokens === 0
        ? {
            outputIds: [],
            text: '',
            finishReason: 'length',
            idsExact: true,
            ...(request.logprobs === true ? { logprobs: [] } : {}),
          }
        : undefined,
  }));
}

/** Takes a sampled token; returns true when the sequence is finished (its `result` is set). */
export function acceptToken(
  sequence: Sequence,
  { id, logprob }: SampledToken,
  onText: GenerateOptions['onText'],
): boolean {
  sequence.outputIds.push(id);
  sequence.logprobs.push(logprob);
  sequence.pending = id;
  const { delta, stopString } = sequence.text.push(id);
  if (delta !== '') onText?.(sequence.index, delta);
  let finishReason: GenerateResult['finishReason'] | undefined;
  if (stopString !== undefined) finishReason = 'stop-string';
  else if (sequence.endIds.has(id)) finishReason = 'eos';
  else if (sequence.outputIds.length >= sequence.request.maxNewTokens) finishReason = 'length';
  if (finishReason === undefined) return false;
  if (finishReason !== 'stop-string') {
    const rest = sequence.text.finish();
    if (rest !== '') onText?.(sequence.index, rest);
  }
  sequence.result = {
    outputIds: sequence.outputIds,
    text: sequence.text.text,
    finishReason,
    idsExact: true,
    ...(finishReason === 'stop-string' ? { stopString } : {}),
    ...(finishReason === 'eos' ? { stopTokenId: id } : {}),
    ...(sequence.request.logprobs === true ? { logprobs: sequence.logprobs } : {}),
  };
  return true;
}
