import type {
  Policy,
  Retriever,
  RolloutEvent,
  SamplingOptions,
  SearchRecord,
  Tokenizer,
  Trajectory,
  TrajectoryFinishReason,
  TrajectorySegment,
} from '@research-ts/spec';
import { createTrajectory } from './create-trajectory';
import type { ResolvedRetryOptions } from './search-with-retry';
import { firstStop, type StopPredicate } from './stop-predicates';

/**
 * Where a sample is in the ReSearch loop: `generating` (waits for the next policy turn), `searching`
 * (its last turn stopped at `</search>`; waits for the step's batched search), `done` (has its trajectory).
 */
export type SampleStatus = 'generating' | 'searching' | 'done';

/** The settings of one rollout call, validated. */
export interface RolloutRun {
  policy: Policy;
  retriever: Retriever;
  tokenizer: Tokenizer;
  responseBudget: number;
  topK: number;
  sampling: SamplingOptions | undefined;
  retry: ResolvedRetryOptions;
  /** The share of the call's searches that may fail (see `rollout`'s `maxFailedSearchShare`). */
  searchFailures: { maxShare: number; retrieverName: string };
  signal: AbortSignal | undefined;
  stopWhen: readonly StopPredicate[];
  emit: ((event: RolloutEvent) => void) | undefined;
}

/** One sample's growing response: token ids as generated or inserted, never re-tokenized. */
export interface SampleState {
  /** Flat index in the batch (`promptIndex · samplesPerPrompt + sampleIndex`), as in the events. */
  readonly sample: number;
  readonly promptIndex: number;
  readonly sampleIndex: number;
  readonly promptIds: readonly number[];
  readonly responseIds: number[];
  readonly lossMask: number[];
  /**
   * The sampler's logprob of each response id (NaN for inserted ids) while every model piece so far came with
   * logprobs; undefined from the first one without.
   */
  rolloutLogprobs: number[] | undefined;
  readonly segments: TrajectorySegment[];
  text: string;
  readonly searches: SearchRecord[];
  /** Completed generations. */
  turns: number;
  status: SampleStatus;
  /** The query of the last turn while `searching` (`undefined`: no `<search>` before `</search>`). */
  query: string | undefined;
  trajectory: Trajectory | undefined;
}

export function createSampleState(
  sample: number,
  promptIndex: number,
  sampleIndex: number,
  promptIds: readonly number[],
): SampleState {
  return {
    sample,
    promptIndex,
    sampleIndex,
    promptIds,
    responseIds: [],
    lossMask: [],
    rolloutLogprobs: [],
    segments: [],
    text: '',
    searches: [],
    turns: 0,
    status: 'generating',
    query: undefined,
    trajectory: undefined,
  };
}

/**
 * Appends a piece (policy output with mask 1, or an inserted result with mask 0), cut to the room left
 * in the response budget. A cut piece's text is the decoding of the ids kept, and its `logprobs` (one per id,
 * model pieces only) are cut with the ids; a model piece without them drops the sample's rollout logprobs, an
 * inserted piece gets NaN. Returns the number of ids appended.
 */
export function appendPiece(
  run: RolloutRun,
  state: SampleState,
  kind: TrajectorySegment['kind'],
  ids: readonly number[],
  text: string,
  logprobs?: readonly number[],
): number {
  const room = Math.max(0, run.responseBudget - state.responseIds.length);
  const kept = ids.length <= room ? ids : ids.slice(0, room);
  if (kept.length === 0) return 0;
  const keptText = kept.length === ids.length ? text : run.tokenizer.decode(kept);
  const start = state.responseIds.length;
  const mask = kind === 'model' ? 1 : 0;
  for (let index = 0; index < kept.length; index += 1) {
    state.responseIds.push(kept[index]!);
    state.lossMask.push(mask);
  }
  if (kind === 'model' && logprobs === undefined) state.rolloutLogprobs = undefined;
  for (let index = 0; state.rolloutLogprobs !== undefined && index < kept.length; index += 1) {
    state.rolloutLogprobs.push(kind === 'model' ? logprobs![index]! : NaN);
  }
  state.segments.push({ kind, start, end: state.responseIds.length, text: keptText });
  state.text += keptText;
  return kept.length;
}

/** The first stop predicate that fires for the sample now. */
export function stopReason(run: RolloutRun, state: SampleState): TrajectoryFinishReason | undefined {
  return firstStop(run.stopWhen, { responseLength: state.responseIds.length, turns: state.turns });
}

/** Ends the sample: builds its trajectory (the only place one is made) and emits `trajectory-end`. */
export function finishSample(
  run: RolloutRun,
  state: SampleState,
  finishReason: TrajectoryFinishReason,
  error?: string,
): void {
  state.status = 'done';
  state.query = undefined;
  state.trajectory = createTrajectory({
    promptIds: state.promptIds,
    responseIds: state.responseIds,
    lossMask: state.lossMask,
    segments: state.segments,
    text: state.text,
    finishReason,
    searches: state.searches,
    ...(error === undefined ? {} : { error }),
    ...(state.rolloutLogprobs === undefined ? {} : { rolloutLogprobs: state.rolloutLogprobs }),
  });
  run.emit?.({ type: 'trajectory-end', sample: state.sample, trajectory: state.trajectory });
}

/**
 * The sampling options of one sample's turn. With a `seed`, each sample and turn gets its own seed
 * mixed from (seed, sample, turn), so the samples of a group differ and a rerun repeats exactly.
 */
export function samplingFor(
  sampling: SamplingOptions | undefined,
  sample: number,
  turn: number,
): SamplingOptions | undefined {
  if (sampling?.seed === undefined) return sampling;
  let hash = sampling.seed >>> 0;
  for (const value of [sample, turn]) {
    hash = Math.imul(hash ^ value, 0x9e3779b1) >>> 0;
    hash = (hash ^ (hash >>> 16)) >>> 0;
  }
  return { ...sampling, seed: hash };
}
