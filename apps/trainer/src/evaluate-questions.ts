import { rollout } from '@research-ts/rollout';
import type { Policy, Retriever, Tokenizer } from '@research-ts/spec';
import { buildPromptIds, type PromptTemplate } from './build-prompt';
import { scoreRollout, type ScoredRollout } from './score-rollout';

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
  responseBudget: number;
  topK: number;
  /** Questions per rollout batch (default 64). */
  batchSize?: number;
  /** Called after each batch with the number done. */
  onProgress?: (done: number, total: number) => void;
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
}

/**
 * Runs the ReSearch loop GREEDILY (temperature 0, as ReSearch's evaluation) over the questions, in
 * batches, and scores each rollout: its `\boxed{}` answer, EM and F1 against the golden answers, and
 * the ReSearch reward.
 */
export async function evaluateQuestions(options: EvaluateQuestionsOptions): Promise<Prediction[]> {
  const batchSize = options.batchSize ?? 64;
  const predictions: Prediction[] = [];
  for (let start = 0; start < options.questions.length; start += batchSize) {
    const batch = options.questions.slice(start, start + batchSize);
    const samples = await rollout({
      policy: options.policy,
      retriever: options.retriever,
      tokenizer: options.tokenizer,
      prompts: batch.map((question) => buildPromptIds(options.tokenizer, question.question, options.template)),
      responseBudget: options.responseBudget,
      topK: options.topK,
      sampling: { temperature: 0 },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    samples.forEach((sample, index) => {
      const question = batch[index]!;
      const { trajectory } = sample;
      predictions.push({
        id: question.id,
        question: question.question,
        goldenAnswers: question.goldenAnswers,
        ...scoreRollout(trajectory, question.goldenAnswers, options.tokenizer),
        response: trajectory.text,
        queries: trajectory.searches.map((search) => search.query),
        finishReason: trajectory.finishReason,
      });
    });
    options.onProgress?.(Math.min(options.questions.length, start + batchSize), options.questions.length);
  }
  return predictions;
}

/** Means of the predictions' scores. */
export function summarizePredictions(predictions: readonly ScoredRollout[]): EvaluationSummary {
  const count = predictions.length;
  const mean = (pick: (prediction: ScoredRollout) => number) => (count === 0 ? 0 : predictions.reduce((sum, prediction) => sum + pick(prediction), 0) / count);
  return {
    count,
    reward: mean((prediction) => prediction.reward),
    exactMatch: mean((prediction) => (prediction.exactMatch ? 1 : 0)),
    f1: mean((prediction) => prediction.f1),
    searches: mean((prediction) => prediction.searches),
    generatedTokens: mean((prediction) => prediction.generatedTokens),
    formatOk: mean((prediction) => (prediction.formatOk ? 1 : 0)),
  };
}

/** A retriever that finds nothing: the ablation that shows whether a policy learned to use search. */
export const emptyRetriever: Retriever = {
  specificationVersion: 'v1',
  name: 'empty',
  search: async (queries) => queries.map(() => []),
};
