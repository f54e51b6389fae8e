import { scoreRollout, type ScoredRollout } from '@research-ts/evaluators';
import { buildPromptIds, rollout, type PromptTemplate } from '@research-ts/rollout';
import type { ThinkingMode } from '@research-ts/tags';
import type { Policy, Retriever, Tokenizer, Trajectory } from '@research-ts/spec';

/** A question with its accepted answers. */
export interface EvaluationQuestion {
  id: string;
  question: string;
  goldenAnswers: readonly string[];
}

/** One prediction line of `predictions.jsonl`. */
export interface Prediction extends ScoredRollout {
  id: string;
  question: string;
  goldenAnswers: readonly string[];
  /** The whole response (model text and inserted results). */
  response: string;
  queries: string[];
  finishReason: string;
}

export interface EvaluateQuestionsOptions {
  policy: Policy;
  retriever: Retriever;
  tokenizer: Tokenizer;
  questions: readonly EvaluationQuestion[];
  template: PromptTemplate;
  /** With the `instruct` template, the chat template's thinking mode (tags' `thinkingModes`); unset: its default. */
  thinking?: ThinkingMode;
  responseBudget: number;
  topK: number;
  /** Questions per rollout batch (default 64). */
  batchSize?: number;
  /** The share of a batch's searches that may fail after their retries before the evaluation rejects (see `rollout`); default 1. */
  maxFailedSearchShare?: number;
  /** Called as each question finishes, with the number done and the failed searches so far. */
  onProgress?: (done: number, total: number, failedSearches: number) => void;
  /** Called with each prediction as soon as its rollout ends (in the order they end), and its index in `questions`. */
  onPrediction?: (prediction: Prediction, index: number) => void;
  signal?: AbortSignal;
}

/** Means over a set of predictions. */
export interface EvaluationSummary {
  count: number;
  reward: number;
  exactMatch: number;
  f1: number;
  searches: number;
  generatedTokens: number;
  formatOk: number;
  /** Searches that still failed after their retries (a count, not a mean). */
  failedSearches: number;
}

/**
 * Runs the ReSearch loop GREEDILY (temperature 0, as ReSearch's evaluation) over the questions, in
 * batches, and scores each rollout as it ends: its `\boxed{}` answer, EM and F1 against the golden
 * answers, and the ReSearch reward. Returns the predictions in the order of `questions`.
 */
export async function evaluateQuestions(options: EvaluateQuestionsOptions): Promise<Prediction[]> {
  const batchSize = options.batchSize ?? 64;
  const predictions: Prediction[] = [];
  let done = 0;
  let failedSearches = 0;
  for (let start = 0; start < options.questions.length; start += batchSize) {
    const batch = options.questions.slice(start, start + batchSize);
    const finish = (index: number, trajectory: Trajectory) => {
      const question = batch[index]!;
      const prediction: Prediction = {
        id: question.id,
        question: question.question,
        goldenAnswers: question.goldenAnswers,
        ...scoreRollout(trajectory, question.goldenAnswers, options.tokenizer),
        response: trajectory.text,
        queries: trajectory.searches.map((search) => search.query),
        finishReason: trajectory.finishReason,
      };
      predictions[start + index] = prediction;
      done += 1;
      failedSearches += prediction.failedSearches;
      options.onPrediction?.(prediction, start + index);
      options.onProgress?.(done, options.questions.length, failedSearches);
    };
    await rollout({
      policy: options.policy,
      retriever: options.retriever,
      tokenizer: options.tokenizer,
      prompts: batch.map((question) =>
        buildPromptIds(options.tokenizer, question.question, options.template, {
          ...(options.thinking === undefined ? {} : { thinking: options.thinking }),
        }),
      ),
      responseBudget: options.responseBudget,
      topK: options.topK,
      sampling: { temperature: 0 },
      ...(options.maxFailedSearchShare === undefined ? {} : { maxFailedSearchShare: options.maxFailedSearchShare }),
      onEvent: (event) => {
        if (event.type === 'trajectory-end') finish(event.sample, event.trajectory);
      },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  return predictions;
}

/** Means of the predictions' scores. */
export function summarizePredictions(predictions: readonly ScoredRollout[]): EvaluationSummary {
  const count = predictions.length;
  const mean = (pick: (prediction: ScoredRollout) => number) =>
    count === 0 ? 0 : predictions.reduce((sum, prediction) => sum + pick(prediction), 0) / count;
  return {
    count,
    reward: mean((prediction) => prediction.reward),
    exactMatch: mean((prediction) => (prediction.exactMatch ? 1 : 0)),
    f1: mean((prediction) => prediction.f1),
    searches: mean((prediction) => prediction.searches),
    generatedTokens: mean((prediction) => prediction.generatedTokens),
    formatOk: mean((prediction) => (prediction.formatOk ? 1 : 0)),
    failedSearches: predictions.reduce((sum, prediction) => sum + prediction.failedSearches, 0),
  };
}

/** A retriever that finds nothing: the ablation that shows whether a policy learned to use search. */
export const emptyRetriever: Retriever = {
  specificationVersion: 'v1',
  name: 'empty',
  search: async (queries) => queries.map(() => []),
};
