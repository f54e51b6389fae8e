import type { ThinkingMode } from '@research-ts/tags';
import { datasetNameOfFile, loadQuestions, type QaExample } from '@research-ts/datasets';
import {
  createOpenAIJudge,
  formatMetricsTable,
  summarizeMetrics,
  type DatasetMetrics,
  type EvaluationRecord,
} from '@research-ts/evaluators';
import { createOnnxPolicy } from '@research-ts/policy-onnx';
import { createOpenAICompletionsPolicy, type CompletionServer, type RetryEvent } from '@research-ts/policy-openai';
import { probeRetriever, type PromptTemplate } from '@research-ts/rollout';
import { InvalidConfigError, type Policy, type Tokenizer } from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import {
  evaluateQuestions,
  summarizePredictions,
  type EvaluationSummary,
  type Prediction,
} from '@research-ts/training';
import { closeRetriever, openRetriever, type RetrieverSource } from './open-retriever';
import { openPredictionLog, predictionKey, type PredictionRow } from './prediction-log';
import { createProgress } from './progress';

export interface RunEvaluationOptions {
  /** Question files (FlashRAG JSONL or `{question, answer}` JSON), one dataset each, evaluated together. */
  questionsFiles: readonly string[];
  /**
   * The datasets' names in the table, one per file (default: the file's name, `bamboogle_test`, or for
   * FlashRAG's `hotpotqa/dev.jsonl` its folder and split, `hotpotqa_dev`); names of the paper's datasets
   * fill its columns.
   */
  datasets?: readonly string[];
  /** Only the first N questions of each file. */
  limit?: number;
  /** A local model directory … */
  modelDirectory?: string;
  /** … or an OpenAI-compatible completions server (`http://host:port/v1`). */
  serverUrl?: string;
  /** The served model name (with `serverUrl`). */
  servedModel?: string;
  /** `vllm` (default), `sglang`, `llama.cpp` or `generic`. */
  server?: CompletionServer;
  apiKey?: string;
  /** Tokenizer directory (default: the model directory). Required with a server. */
  tokenizerDirectory?: string;
  retriever: RetrieverSource;
  template: PromptTemplate;
  /** With the `instruct` template, the chat template's thinking mode (tags' `thinkingModes`); unset: its default. */
  thinking?: ThinkingMode;
  responseBudget: number;
  topK: number;
  /** An OpenAI-compatible chat endpoint for the LLM judge (`…/v1`); without `apiKey` no Authorization header is sent. */
  judge?: { baseURL: string; apiKey?: string; model?: string };
  /** Where to write the predictions JSONL. */
  outputFile: string;
  threads?: number;
  progress?: boolean;
  /** Keep the predictions already in `outputFile` and ask only the questions without one (or whose search failed). */
  resume?: boolean;
  /** Retries of a completions request (with `serverUrl`); defaults {@link evaluationServerRetryDefaults}. */
  serverRetry?: { maxRetries?: number; maxBackoffMs?: number };
  /** The share of a batch's searches that may fail after their retries before the evaluation stops (default 0). */
  maxFailedSearchShare?: number;
  /** Log lines (default: stderr). */
  log?: (line: string) => void;
}

/**
 * Retries of a completions server during `eval`, sized for a server that restarts (vLLM loading its
 * weights again takes minutes): 10 retries after waits of 1, 2, 4, … s capped at 60 s, each with
 * jitter (×0.5 to ×1), so about 2.5 to 5 minutes before the evaluation gives up.
 */
export const evaluationServerRetryDefaults = { maxRetries: 10, initialBackoffMs: 1000, maxBackoffMs: 60_000 } as const;

export interface RunEvaluationResult {
  predictions: (Prediction & { dataset: string; judgement?: string })[];
  summary: EvaluationSummary;
  metrics: DatasetMetrics[];
  /** The paper's Table 2 rows with ours beside them (an EM and an LJ column per dataset), then ours in detail (a row per dataset). */
  table: string;
}

/** A question of one of the files, with the dataset it belongs to. */
interface DatasetQuestion {
  dataset: string;
  question: QaExample;
}

/** The questions of every file, in order, each with its file's dataset name; two files may not share a name. */
async function loadDatasetQuestions(
  options: RunEvaluationOptions,
): Promise<{ datasets: string[]; questions: DatasetQuestion[] }> {
  const files = options.questionsFiles;
  if (files.length === 0) throw new InvalidConfigError('questions', 'give at least one question file');
  if (options.datasets !== undefined && options.datasets.length !== files.length) {
    throw new InvalidConfigError(
      'dataset',
      `give one name per question file (${files.length} files, ${options.datasets.length} name${options.datasets.length === 1 ? '' : 's'})`,
    );
  }
  const datasets: string[] = [];
  const questions: DatasetQuestion[] = [];
  for (const [index, file] of files.entries()) {
    const dataset = options.datasets?.[index] ?? datasetNameOfFile(file);
    const earlier = datasets.indexOf(dataset);
    if (earlier !== -1)
      throw new InvalidConfigError(
        'dataset',
        `${files[earlier]} and ${file} are both named "${dataset}": give one --dataset per file to tell them apart`,
      );
    const loaded = await loadQuestions(file);
    const examples = loaded.examples.slice(0, options.limit ?? loaded.examples.length);
    if (examples.length === 0) throw new InvalidConfigError('questions', `${file} holds no questions`);
    datasets.push(dataset);
    for (const question of examples) questions.push({ dataset, question });
  }
  return { datasets, questions };
}

/**
 * `research-ts eval`: the ReSearch loop, greedy, over one or more question sets, with a local policy
 * directory or a remote OpenAI-compatible server, and any retriever. Writes one JSON line per question
 * (with its dataset) and returns one table of EM, F1 and (with a judge) the LLM-judge score of every
 * dataset beside the paper's rows.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<RunEvaluationResult> {
  if ((options.modelDirectory === undefined) === (options.serverUrl === undefined))
    throw new InvalidConfigError(
      'model',
      'give exactly one of --model (a local directory) and --server (an OpenAI-compatible URL)',
    );
  if (options.serverUrl !== undefined && options.servedModel === undefined)
    throw new InvalidConfigError('served-model', 'is required with --server');
  const tokenizerDirectory = options.tokenizerDirectory ?? options.modelDirectory;
  if (tokenizerDirectory === undefined)
    throw new InvalidConfigError('tokenizer', 'is required with --server (a directory holding tokenizer.json)');
  const { datasets, questions } = await loadDatasetQuestions(options);
  const tokenizer: Tokenizer = await loadTokenizer(tokenizerDirectory);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const retriever = await openRetriever(options.retriever);
  if (options.retriever.kind === 'http') log(`checking the retriever ${retriever.name} with one search`);
  await probeRetriever(retriever, { topK: options.topK });
  let policy: Policy;
  let release = async () => {};
  if (options.modelDirectory !== undefined) {
    const onnx = await createOnnxPolicy({
      modelDirectory: options.modelDirectory,
      tokenizer,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    policy = onnx;
    release = () => onnx.release();
  } else {
    const retry = { ...evaluationServerRetryDefaults, ...options.serverRetry };
    const onRetry = (event: RetryEvent) =>
      log(
        `completions server: ${event.error.message}; retry ${event.attempt} of ${retry.maxRetries} in ${(event.delayMs / 1000).toFixed(1)} s`,
      );
    policy = createOpenAICompletionsPolicy({
      baseURL: options.serverUrl!,
      model: options.servedModel!,
      tokenizer,
      server: options.server ?? 'vllm',
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...retry,
      onRetry,
    });
  }
  // each prediction is appended as its question finishes; `resume` skips the ones already there
  const predictionLog = await openPredictionLog(options.outputFile, { resume: options.resume === true });
  const keyOf = ({ dataset, question }: DatasetQuestion) => predictionKey(dataset, question.id);
  const asked = questions.filter((question) => !predictionLog.answered.has(keyOf(question)));
  if (asked.length < questions.length)
    log(
      `resuming: ${questions.length - asked.length} of ${questions.length} questions already answered in ${options.outputFile}`,
    );
  const progress = createProgress({
    label: `eval ${datasets.join(', ')}`,
    total: questions.length,
    silent: options.progress === false,
  });
  progress.update(questions.length - asked.length);
  let predictions: Prediction[];
  try {
    const fresh = await evaluateQuestions({
      policy,
      retriever,
      tokenizer,
      questions: asked.map(({ question }) => question),
      template: options.template,
      ...(options.thinking === undefined ? {} : { thinking: options.thinking }),
      responseBudget: options.responseBudget,
      topK: options.topK,
      maxFailedSearchShare: options.maxFailedSearchShare ?? 0,
      onPrediction: (prediction, index) => predictionLog.append({ dataset: asked[index]!.dataset, ...prediction }),
      onProgress: (done, _total, failed) =>
        progress.update(questions.length - asked.length + done, failed === 0 ? '' : `failed searches ${failed}`),
    });
    const byKey = new Map<string, Prediction>([
      ...predictionLog.answered,
      ...fresh.map((prediction, index) => [keyOf(asked[index]!), prediction] as const),
    ]);
    predictions = questions.map((question) => byKey.get(keyOf(question))!);
  } finally {
    progress.stop();
    await release();
    await closeRetriever(retriever);
  }
  const records: EvaluationRecord[] = predictions.map((prediction, index) => ({
    dataset: questions[index]!.dataset,
    prediction: prediction.prediction,
    goldenAnswers: prediction.goldenAnswers,
  }));
  const judgements: (string | undefined)[] = predictions.map(() => undefined);
  if (options.judge !== undefined) {
    const judge = createOpenAIJudge({
      baseURL: options.judge.baseURL,
      ...(options.judge.apiKey === undefined ? {} : { apiKey: options.judge.apiKey }),
      ...(options.judge.model === undefined ? {} : { model: options.judge.model }),
    });
    const verdicts = await judge.judge(
      predictions.map((prediction) => ({
        question: prediction.question,
        goldenAnswers: prediction.goldenAnswers,
        prediction: prediction.prediction,
      })),
    );
    verdicts.forEach((verdict, index) => {
      records[index]!.verdict = verdict;
      judgements[index] = verdict.status;
    });
  }
  const rows = predictions.map((prediction, index) => {
    const { dataset: _dataset, judgement: _judgement, ...fields } = prediction as PredictionRow;
    return {
      dataset: questions[index]!.dataset,
      ...fields,
      ...(judgements[index] === undefined ? {} : { judgement: judgements[index] }),
    };
  });
  await predictionLog.replace(rows);
  const metrics = summarizeMetrics(records);
  return {
    predictions: rows,
    summary: summarizePredictions(predictions),
    metrics,
    table: formatMetricsTable(metrics, { label: `ours (${policy.name})` }),
  };
}
