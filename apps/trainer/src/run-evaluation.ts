import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { datasetBaseName, loadQuestions } from '@research-ts/datasets';
import { createOpenAIJudge, formatMetricsTable, summarizeMetrics, type DatasetMetrics, type EvaluationRecord } from '@research-ts/evaluators';
import { createOnnxPolicy } from '@research-ts/policy-onnx';
import { createOpenAICompletionsPolicy, type CompletionServer } from '@research-ts/policy-openai';
import { InvalidConfigError, type Policy, type Tokenizer } from '@research-ts/spec';
import { loadTokenizer } from '@research-ts/tokenizer';
import type { PromptTemplate } from './build-prompt';
import { evaluateQuestions, summarizePredictions, type EvaluationSummary, type Prediction } from './evaluate-questions';
import { openRetriever, type RetrieverSource } from './open-retriever';
import { createProgress } from './progress';

export interface RunEvaluationOptions {
  /** FlashRAG JSONL or a `{question, answer}` file. */
  questionsFile: string;
  /** The dataset's name in the table (default: the file's base name, e.g. `bamboogle`). */
  dataset?: string;
  /** Only the first N questions. */
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
  responseBudget: number;
  topK: number;
  /** An OpenAI-compatible chat endpoint for the LLM judge (`…/v1`); without `apiKey` no Authorization header is sent. */
  judge?: { baseURL: string; apiKey?: string; model?: string };
  /** Where to write the predictions JSONL. */
  outputFile: string;
  threads?: number;
  progress?: boolean;
}

export interface RunEvaluationResult {
  predictions: (Prediction & { dataset: string; judgement?: string })[];
  summary: EvaluationSummary;
  metrics: DatasetMetrics[];
  /** The paper's Table 2 rows with ours beside them, then ours in detail. */
  table: string;
}

/**
 * `research-ts eval`: the ReSearch loop, greedy, over a question set, with a local policy directory or a
 * remote OpenAI-compatible server, and any retriever. Writes one JSON line per question and returns the
 * table of EM, F1 and (with a judge) the LLM-judge score beside the paper's rows.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<RunEvaluationResult> {
  if ((options.modelDirectory === undefined) === (options.serverUrl === undefined)) throw new InvalidConfigError('model', 'give exactly one of --model (a local directory) and --server (an OpenAI-compatible URL)');
  if (options.serverUrl !== undefined && options.servedModel === undefined) throw new InvalidConfigError('served-model', 'is required with --server');
  const tokenizerDirectory = options.tokenizerDirectory ?? options.modelDirectory;
  if (tokenizerDirectory === undefined) throw new InvalidConfigError('tokenizer', 'is required with --server (a directory holding tokenizer.json)');
  const loaded = await loadQuestions(options.questionsFile);
  const questions = loaded.examples.slice(0, options.limit ?? loaded.examples.length);
  if (questions.length === 0) throw new InvalidConfigError('questions', `${options.questionsFile} holds no questions`);
  const dataset = options.dataset ?? datasetBaseName(basename(options.questionsFile));
  const tokenizer: Tokenizer = await loadTokenizer(tokenizerDirectory);
  const retriever = await openRetriever(options.retriever);
  let policy: Policy;
  let release = async () => {};
  if (options.modelDirectory !== undefined) {
    const onnx = await createOnnxPolicy({ modelDirectory: options.modelDirectory, tokenizer, ...(options.threads === undefined ? {} : { threads: options.threads }) });
    policy = onnx;
    release = () => onnx.release();
  } else {
    policy = createOpenAICompletionsPolicy({ baseURL: options.serverUrl!, model: options.servedModel!, tokenizer, server: options.server ?? 'vllm', ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) });
  }
  const progress = createProgress({ label: `eval ${dataset}`, total: questions.length, silent: options.progress === false });
  let predictions: Prediction[];
  try {
    predictions = await evaluateQuestions({
      policy,
      retriever,
      tokenizer,
      questions,
      template: options.template,
      responseBudget: options.responseBudget,
      topK: options.topK,
      onProgress: (done) => progress.update(done),
    });
  } finally {
    progress.stop();
    await release();
  }
  const records: EvaluationRecord[] = predictions.map((prediction) => ({ dataset, prediction: prediction.prediction, goldenAnswers: prediction.goldenAnswers }));
  const judgements: (string | undefined)[] = predictions.map(() => undefined);
  if (options.judge !== undefined) {
    const judge = createOpenAIJudge({
      baseURL: options.judge.baseURL,
      ...(options.judge.apiKey === undefined ? {} : { apiKey: options.judge.apiKey }),
      ...(options.judge.model === undefined ? {} : { model: options.judge.model }),
    });
    const verdicts = await judge.judge(predictions.map((prediction) => ({ question: prediction.question, goldenAnswers: prediction.goldenAnswers, prediction: prediction.prediction })));
    verdicts.forEach((verdict, index) => {
      records[index]!.verdict = verdict;
      judgements[index] = verdict.status;
    });
  }
  const rows = predictions.map((prediction, index) => ({ dataset, ...prediction, ...(judgements[index] === undefined ? {} : { judgement: judgements[index] }) }));
  await mkdir(dirname(options.outputFile), { recursive: true });
  await writeFile(options.outputFile, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  const metrics = summarizeMetrics(records);
  return { predictions: rows, summary: summarizePredictions(predictions), metrics, table: formatMetricsTable(metrics, { label: `ours (${policy.name})` }) };
}
