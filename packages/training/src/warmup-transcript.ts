import { createTrajectory } from '@research-ts/rollout';
import {
  InvalidConfigError,
  type Retriever,
  type SearchRecord,
  type SeededRandom,
  type Tokenizer,
  type Trajectory,
  type TrajectorySegment,
} from '@research-ts/spec';
import { formatResultBlockForQuery } from '@research-ts/tags';

export interface WarmupTranscriptOptions {
  promptIds: number[];
  /** The question's text: its candidate words are the first queries' choices. */
  question: string;
  retriever: Retriever;
  tokenizer: Tokenizer;
  rng: SeededRandom;
  /** The words of a text that may be a query or an answer (the entity names in it, for a generated world). */
  candidates: (text: string) => string[];
  /** Passages per search. */
  topK: number;
  /** The transcript searches minSearches … maxSearches times, uniformly. */
  maxSearches: number;
  /** Default 1; 0 lets a transcript answer without searching (a name of the question), so that searching at all is RL's choice too. */
  minSearches?: number;
  /**
   * Default 1: the first query is a candidate of the question. Below 1, it is with this probability,
   * and otherwise a name drawn uniformly from `anyName` (all names of the world), so that the warmed-up
   * policy is not even biased towards searching a name of the question: RL has to find that too.
   */
  queryContextRate?: number;
  /** The same for the second and later queries (default 1: a candidate of the latest result). */
  followUpQueryContextRate?: number;
  /** The same for the answer (default 1: a candidate of the latest result). */
  answerContextRate?: number;
  /** The names a choice outside the context is drawn from (required when a rate is below 1). */
  anyName?: readonly string[];
}

/**
 * A transcript that teaches the ReSearch FORMAT ONLY. Everything a policy would have to decide is
 * drawn at random: the number of searches is uniform in minSearches (default 1) … maxSearches; the first query is a
 * candidate drawn uniformly from the question, each later query a candidate drawn uniformly from the
 * latest result; the answer is a candidate drawn uniformly from the latest result (from the question
 * when a result holds none). With `queryContextRate` (`followUpQueryContextRate`, `answerContextRate`)
 * below 1, the first query (a later query, the answer) is instead, with probability 1 - rate, any name
 * of the world. The golden answer is never consulted, so when to stop and which name to answer must come
 * from RL; so does which entity to search, unless the question names a single one (then, at the default
 * rate 1, the first query is always that one).
 *
 * Shape: `<think> </think> <search> q </search>` + the real result block of `q` (a `result` segment, loss
 * mask 0), repeated, then `<think> </think> <answer> \boxed{ a } </answer>` and the EOS token: a
 * {@link Trajectory} built by rollout's `createTrajectory`, as RL's rollouts are, so that `supervisedStep`
 * trains on exactly the tokens a rollout would train on.
 */
export async function buildWarmupTranscript(options: WarmupTranscriptOptions): Promise<Trajectory> {
  const { tokenizer, rng } = options;
  const responseIds: number[] = [];
  const lossMask: number[] = [];
  const segments: TrajectorySegment[] = [];
  const searchRecords: SearchRecord[] = [];
  const append = (
    text: string,
    kind: TrajectorySegment['kind'],
    ids = tokenizer.encode(text, { addSpecialTokens: false }),
  ) => {
    if (ids.length === 0) return;
    const start = responseIds.length;
    responseIds.push(...ids);
    for (let index = 0; index < ids.length; index++) lossMask.push(kind === 'model' ? 1 : 0);
    segments.push({ kind, start, end: responseIds.length, text });
  };
  const questionCandidates = unique(options.candidates(options.question));
  let latest: string[] = [];
  const minSearches = options.minSearches ?? 1;
  if (!Number.isInteger(minSearches) || minSearches < 0 || minSearches > options.maxSearches) {
    throw new InvalidConfigError(
      'warmup.minSearches',
      `must be an integer in 0 … maxSearches (${options.maxSearches}); got ${minSearches}`,
    );
  }
  const queryRate = contextRate(options.queryContextRate, 'warmup.queryContextRate');
  const followUpRate = contextRate(options.followUpQueryContextRate, 'warmup.followUpQueryContextRate');
  const answerRate = contextRate(options.answerContextRate, 'warmup.answerContextRate');
  const anyName = options.anyName ?? [];
  const belowOne = (
    [
      ['warmup.queryContextRate', queryRate],
      ['warmup.followUpQueryContextRate', followUpRate],
      ['warmup.answerContextRate', answerRate],
    ] as const
  ).find(([, rate]) => rate < 1);
  if (belowOne !== undefined && anyName.length === 0)
    throw new InvalidConfigError(
      belowOne[0],
      'below 1 needs names to draw from outside the context (anyName is empty)',
    );
  /** A name of the context pool, or (with probability 1 - rate) any name; '' when there is none. */
  const choose = (pool: readonly string[], rate: number): string => {
    if (rate < 1 && rng.nextFloat() >= rate) return rng.pick(anyName);
    return pool.length > 0 ? rng.pick(pool) : '';
  };
  const searches = minSearches + rng.integer(options.maxSearches - minSearches + 1);
  for (let turn = 0; turn < searches; turn++) {
    const query = choose(latest.length > 0 ? latest : questionCandidates, turn === 0 ? queryRate : followUpRate);
    append(`<think> </think> <search> ${query} </search>`, 'model');
    const [passages = []] = query === '' ? [[]] : await options.retriever.search([query], options.topK);
    if (query !== '') searchRecords.push({ turn, query, passages });
    append(formatResultBlockForQuery(query, passages), 'result');
    latest = unique(passages.flatMap((passage) => options.candidates(passage.contents)));
  }
  const answer = choose(latest.length > 0 ? latest : questionCandidates, answerRate);
  append(`<think> </think> <answer> \\boxed{ ${answer} } </answer>`, 'model');
  const eos = tokenizer.eosToken === undefined ? undefined : tokenizer.tokenToId(tokenizer.eosToken);
  if (eos !== undefined) append(tokenizer.eosToken!, 'model', [eos]);
  return createTrajectory({
    promptIds: options.promptIds,
    responseIds,
    lossMask,
    segments,
    text: segments.map((segment) => segment.text).join(''),
    finishReason: 'eos',
    searches: searchRecords,
  });
}

function contextRate(rate: number | undefined, field: string): number {
  if (rate === undefined) return 1;
  if (!(rate >= 0 && rate <= 1)) throw new InvalidConfigError(field, `must be in 0 … 1; got ${rate}`);
  return rate;
}

function unique(words: readonly string[]): string[] {
  return [...new Set(words)];
}
