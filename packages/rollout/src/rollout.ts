import {
  InvalidConfigError,
  type Policy,
  type Retriever,
  type RolloutEvent,
  type SamplingOptions,
  type Tokenizer,
  type Trajectory,
} from '@research-ts/spec';
import { buildReSearchPrompt, type ReSearchTemplate } from './build-research-prompt';
import { generateTurn, searchAndInsert } from './rollout-steps';
import { createSampleState, type RolloutRun } from './sample-state';
import { checkSearchFailures } from './search-failures';
import { resolveRetryOptions, type RetryOptions } from './search-with-retry';
import { maxTurns, tokenBudget } from './stop-predicates';

interface RolloutSettings {
  policy: Policy;
  retriever: Retriever;
  tokenizer: Tokenizer;
  /** Samples per prompt: the GRPO group size (ReSearch: 5). Default 1. */
  samplesPerPrompt?: number;
  /** Generated plus inserted tokens per response (ReSearch: 8192). */
  responseBudget?: number;
  /** Generations per sample; none by default, as in ReSearch (ReCall uses 5). */
  maxTurns?: number;
  /** Passages per search (ReSearch: 5). */
  topK?: number;
  sampling?: SamplingOptions;
  signal?: AbortSignal;
  onEvent?: (event: RolloutEvent) => void;
  /** Retries of a failed search call (defaults: 5 tries, 1000 ms, backoff 2, no timeout). */
  retry?: RetryOptions;
  /**
   * The share of this call's searches that may fail after their retries. Past it `rollout` rejects
   * with an `ApiCallError` naming the retriever (at the first failure when it is 0). Default 1: a failed
   * search only ends its sample with `'error'`.
   */
  maxFailedSearchShare?: number;
}

/** Prompts as token ids, or questions rendered with a ReSearch template by {@link buildReSearchPrompt}. */
export type RolloutOptions = RolloutSettings &
  ({ prompts: readonly (readonly number[])[] } | { questions: readonly string[]; template: ReSearchTemplate });

/** One rollout with its place in the batch. The GRPO group of a sample is its `promptIndex`. */
export interface RolloutSample {
  /** Flat index (`promptIndex · samplesPerPrompt + sampleIndex`), the `sample` of the events. */
  sample: number;
  promptIndex: number;
  /** 0-based index within the prompt's group. */
  sampleIndex: number;
  trajectory: Trajectory;
}

/**
 * The ReSearch rollout (`vLLMRolloutWithSearch`): every step, all active samples generate in one batch
 * until `</search>`, EOS or the budget; the queries of the step go to the retriever in one call; each
 * result block is appended with loss mask 0; samples stop on EOS, the token budget (inserted tokens
 * count), the optional turn limit, or a search that still fails after its retries (`'error'`); past
 * `maxFailedSearchShare` of failed searches the call rejects, naming the retriever.
 *
 * The query comes from the text of the sample's latest generation only (ReSearch extracts it from the
 * turn's decoded output): that text ends at its first `</search>`, so the last `<search>` in it opened
 * this query; searching the whole response could pair this turn's `</search>` with an earlier turn's
 * `<search>` across an inserted result. An empty or missing query inserts `nothing to search` without
 * a retrieval (ReSearch's evaluation behaviour). Returns the samples ordered by prompt, then sample.
 */
export async function rollout(options: RolloutOptions): Promise<RolloutSample[]> {
  const { run, promptIds, samplesPerPrompt } = resolveRollout(options);
  const samples = promptIds.flatMap((ids, promptIndex) =>
    Array.from({ length: samplesPerPrompt }, (_, sampleIndex) =>
      createSampleState(promptIndex * samplesPerPrompt + sampleIndex, promptIndex, sampleIndex, ids),
    ),
  );
  for (let active = samples; active.length > 0; active = active.filter((state) => state.status !== 'done')) {
    run.signal?.throwIfAborted();
    await generateTurn(run, active); // generating → searching | done
    await searchAndInsert(
      run,
      active.filter((state) => state.status === 'searching'),
    ); // searching → generating | done
    checkSearchFailures(
      samples.map((state) => state.trajectory),
      { ...run.searchFailures, final: false },
    );
  }
  checkSearchFailures(
    samples.map((state) => state.trajectory),
    { ...run.searchFailures, final: true },
  );
  return samples.map(({ sample, promptIndex, sampleIndex, trajectory }) => ({
    sample,
    promptIndex,
    sampleIndex,
    trajectory: trajectory!,
  }));
}

function positiveInteger(path: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1)
    throw new InvalidConfigError(path, `must be a positive integer, got ${String(resolved)}`);
  return resolved;
}

function shareOf(path: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (typeof resolved !== 'number' || !(resolved >= 0 && resolved <= 1))
    throw new InvalidConfigError(path, `must be a number in [0, 1], got ${String(resolved)}`);
  return resolved;
}

function resolveRollout(options: RolloutOptions): {
  run: RolloutRun;
  promptIds: (readonly number[])[];
  samplesPerPrompt: number;
} {
  const responseBudget = positiveInteger('responseBudget', options.responseBudget, 8192);
  const promptIds =
    'prompts' in options
      ? options.prompts.map((ids, index) => {
          if (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id) || id < 0)) {
            throw new InvalidConfigError(`prompts.${index}`, 'must be an array of non-negative integer token ids');
          }
          return ids;
        })
      : options.questions.map((question) => buildReSearchPrompt(options.tokenizer, question, options.template));
  return {
    promptIds,
    samplesPerPrompt: positiveInteger('samplesPerPrompt', options.samplesPerPrompt, 1),
    run: {
      policy: options.policy,
      retriever: options.retriever,
      tokenizer: options.tokenizer,
      responseBudget,
      topK: positiveInteger('topK', options.topK, 5),
      sampling: options.sampling,
      retry: resolveRetryOptions(options.retry),
      searchFailures: {
        maxShare: shareOf('maxFailedSearchShare', options.maxFailedSearchShare, 1),
        retrieverName: options.retriever.name,
      },
      signal: options.signal,
      stopWhen: [tokenBudget(responseBudget), ...(options.maxTurns === undefined ? [] : [maxTurns(options.maxTurns)])],
      emit: options.onEvent,
    },
  };
}
