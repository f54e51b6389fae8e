import { InvalidInputError, type GenerateResult, type Passage } from '@research-ts/spec';
import { extractSearchQuery, formatResultBlockForQuery, isNothingToSearch } from '@research-ts/tags';
import { appendPiece, finishSample, samplingFor, stopReason, type RolloutRun, type SampleState } from './sample-state';
import { searchWithRetry } from './search-with-retry';

/** ReSearch generates until the model closes a search. */
export const SEARCH_STOP_STRINGS: readonly string[] = Object.freeze(['</search>']);

/**
 * One policy turn for every active sample, as ONE `policy.generate` batch. Each context is the prompt
 * ids plus the response ids so far (policy ids exactly as returned, then inserted ids): nothing is
 * re-tokenized. Moves each sample to `searching` (stopped at `</search>`) or `done`.
 */
export async function generateTurn(run: RolloutRun, active: readonly SampleState[]): Promise<void> {
  for (const state of active) run.emit?.({ type: 'turn-start', sample: state.sample, turn: state.turns });
  const requests = active.map((state) => ({
    inputIds: state.promptIds.concat(state.responseIds),
    maxNewTokens: run.responseBudget - state.responseIds.length,
    stopStrings: SEARCH_STOP_STRINGS,
    sampling: samplingFor(run.sampling, state.sample, state.turns),
  }));
  const emit = run.emit;
  const results = await run.policy.generate(requests, {
    ...(run.signal === undefined ? {} : { signal: run.signal }),
    ...(emit === undefined
      ? {}
      : {
          onText: (index: number, delta: string) => emit({ type: 'text-delta', sample: active[index]!.sample, delta }),
        }),
  });
  if (results.length !== requests.length) {
    throw new InvalidInputError(`returned ${results.length} results for ${requests.length} requests`, {
      source: `policy "${run.policy.name}"`,
    });
  }
  active.forEach((state, index) => afterGeneration(run, state, results[index]!));
}

/**
 * EOS ends the sample (`'eos'`); the policy's `'length'` ends it with `'budget'` when the response
 * budget is used up (the usual case, since `maxNewTokens` is the room left) and `'length'` otherwise;
 * a stop at `</search>` ends it only when a stop predicate fires (budget, max turns), and otherwise
 * takes the query from THIS turn's text (see `rollout`).
 */
function afterGeneration(run: RolloutRun, state: SampleState, result: GenerateResult): void {
  state.turns += 1;
  if (result.logprobs !== undefined && result.logprobs.length !== result.outputIds.length) {
    throw new InvalidInputError(
      `returned ${result.logprobs.length} logprobs for ${result.outputIds.length} output ids`,
      { source: `policy "${run.policy.name}"`, field: 'logprobs' },
    );
  }
  const kept = appendPiece(run, state, 'model', result.outputIds, result.text, result.logprobs);
  const reason =
    kept < result.outputIds.length
      ? 'budget'
      : result.finishReason === 'eos'
        ? 'eos'
        : result.finishReason === 'length'
          ? state.responseIds.length >= run.responseBudget
            ? 'budget'
            : 'length'
          : stopReason(run, state);
  if (reason !== undefined) return finishSample(run, state, reason);
  state.query = extractSearchQuery(result.text);
  state.status = 'searching';
}

/**
 * The step's searches: every query that has something to search goes to the retriever in ONE
 * `search(queries, topK)` call (retried with backoff). Each sample then gets its result block (or
 * `nothing to search`), encoded with `addSpecialTokens: false` and appended with loss mask 0. If the
 * call finally fails, the samples that needed it end with `'error'`.
 */
export async function searchAndInsert(run: RolloutRun, searching: readonly SampleState[]): Promise<void> {
  if (searching.length === 0) return;
  const retrieving = searching.filter((state) => !isNothingToSearch(state.query));
  for (const state of searching) {
    run.emit?.({ type: 'search-start', sample: state.sample, turn: state.searches.length, query: state.query ?? '' });
  }
  const outcome =
    retrieving.length === 0
      ? { ok: true as const, results: [] }
      : await searchWithRetry(
          run.retriever,
          retrieving.map((state) => state.query!),
          run.topK,
          {
            retry: run.retry,
            ...(run.signal === undefined ? {} : { signal: run.signal }),
            onError: (error, _attempt, willRetry) => {
              const message = error instanceof Error ? error.message : String(error);
              for (const state of retrieving) {
                run.emit?.({
                  type: 'search-error',
                  sample: state.sample,
                  turn: state.searches.length,
                  query: state.query!,
                  error: message,
                  willRetry,
                });
              }
            },
          },
        );
  for (const state of searching) {
    const position = retrieving.indexOf(state);
    if (position < 0) insertResult(run, state, []);
    else if (outcome.ok) insertResult(run, state, outcome.results[position]!);
    else finishSample(run, state, 'error', outcome.error);
  }
}

function insertResult(run: RolloutRun, state: SampleState, passages: Passage[]): void {
  const turn = state.searches.length;
  const query = state.query ?? '';
  state.searches.push({ turn, query, passages });
  run.emit?.({ type: 'search-end', sample: state.sample, turn, query, passages });
  const block = formatResultBlockForQuery(state.query, passages);
  const tokenCount = appendPiece(run, state, 'result', run.tokenizer.encode(block, { addSpecialTokens: false }), block);
  run.emit?.({ type: 'result-inserted', sample: state.sample, turn, tokenCount });
  const reason = stopReason(run, state);
  if (reason !== undefined) return finishSample(run, state, reason);
  state.query = undefined;
  state.status = 'generating';
}
