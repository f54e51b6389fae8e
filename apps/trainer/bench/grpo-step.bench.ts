/**
 * One whole GRPO step of a decoder through the ReSearch rollout loop and the BM25 retriever, its wall
 * time split into generation (the rollouts, retrieval included) / reward / scoring + backward / optimizer
 * update: 16 questions × 5 rollouts of at most 256 new tokens each by default, the questions and corpus
 * of the demo's world, a random policy of the chosen shape (the world's word-level vocabulary, so a random
 * policy samples words: the rollouts run to their budget, the costliest case). With a GPU provider the
 * same step runs on the CPU provider afterwards in the same process, and the ratios are printed.
 *
 *   npm run bench:grpo-step -w @research-ts/trainer -- [--model tiny|0.5b|1.5b] [--layers N] [--provider cpu|webgpu]
 *     [--questions 16] [--group 5] [--budget 256] [--threads N] [--micro-batch-tokens 4096] [--no-cpu-baseline]
 */
import { availableParallelism, cpus } from 'node:os';
import { createGrpoTrainer } from '@research-ts/training';
import {
  createOnnxPolicy,
  createRandomModel,
  qwen2_5_0_5bConfig,
  tinyConfig,
  type DecoderConfig,
  type ExecutionProvider,
} from '@research-ts/policy-onnx';
import { createFlexsearchRetriever } from '@research-ts/retriever-flexsearch';
import { worldTexts } from '@research-ts/datasets';
import { scoreRollout } from '@research-ts/evaluators';
import { buildPromptIds, rollout } from '@research-ts/rollout';
import { buildWorldTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { configPresets } from '../src/config-presets';
import { buildWorld, type WorldSource } from '../src/world-source';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 && argv[index + 1] !== undefined ? argv[index + 1]! : fallback;
};
const modelName = option('model', 'tiny');
const provider = option('provider', 'cpu') as ExecutionProvider;
const questionsPerStep = Number(option('questions', '16'));
const groupSize = Number(option('group', '5'));
const budget = Number(option('budget', '256'));
const threads = Number(option('threads', String(availableParallelism())));
const microBatchTokens = Number(option('micro-batch-tokens', '4096'));

const world = buildWorld(configPresets.tiny.data.world as unknown as WorldSource);
const tokenizer = loadTokenizerFromJson({ tokenizerJson: buildWorldTokenizer(worldTexts(world)) });
const retriever = createFlexsearchRetriever(
  world.passages.map((passage) => ({ id: passage.id, contents: passage.contents })),
);
const questions = world.questions.train.slice(0, questionsPerStep);

function shape(): DecoderConfig {
  const vocabSize = tokenizer.vocabSize;
  if (modelName === 'tiny') return tinyConfig({ vocabSize });
  const base = { ...qwen2_5_0_5bConfig(), vocabSize };
  if (modelName === '0.5b') return { ...base, numHiddenLayers: Number(option('layers', '24')) };
  if (modelName === '1.5b') {
    // Qwen2.5-1.5B's shapes (config.json of the release): width 1536, 28 layers, 12 heads, 2 KV heads, MLP 8960
    return {
      ...base,
      hiddenSize: 1536,
      intermediateSize: 8960,
      numHiddenLayers: Number(option('layers', '28')),
      numAttentionHeads: 12,
      numKeyValueHeads: 2,
      headDim: 128,
    };
  }
  throw new Error(`--model must be tiny, 0.5b or 1.5b, got ${modelName}`);
}

async function step(onProvider: ExecutionProvider) {
  const config = shape();
  const model = createRandomModel(config, { seed: 1 });
  const policy = await createOnnxPolicy({
    model,
    tokenizer,
    executionProvider: onProvider,
    threads,
    maxTokensPerRun: microBatchTokens,
  });
  const trainer = createGrpoTrainer({
    policy,
    maxTokensPerMicroBatch: microBatchTokens,
    lossOptions: { klCoefficient: 0 },
    optimizer: { lr: 1e-6 },
    rescoreFirstEpoch: false,
  });
  const prompts = questions.map((question) => buildPromptIds(tokenizer, question.question, 'compact'));
  const timings: Record<string, number> = {};
  let start = performance.now();
  const samples = await rollout({
    policy,
    retriever,
    tokenizer,
    prompts,
    samplesPerPrompt: groupSize,
    responseBudget: budget,
    topK: 3,
    sampling: { temperature: 1, seed: 7 },
  });
  timings.generationMs = performance.now() - start;
  start = performance.now();
  const scored = samples.map((sample) =>
    scoreRollout(sample.trajectory, questions[sample.promptIndex]!.goldenAnswers, tokenizer),
  );
  timings.rewardMs = performance.now() - start;
  start = performance.now();
  const result = await trainer.step(
    samples.map((sample, index) => ({
      trajectory: sample.trajectory,
      groupId: sample.promptIndex,
      reward: scored[index]!.reward,
    })),
  );
  timings.trainMs = performance.now() - start;
  const { timings: inside } = result.metrics;
  timings.scoringMs = inside.oldScoresMs + inside.scoresMs;
  timings.backwardMs = inside.backwardMs;
  timings.optimizerMs = inside.optimizerMs;
  timings.totalMs = timings.generationMs + timings.rewardMs + timings.trainMs;
  const generated = scored.reduce((sum, score) => sum + score.generatedTokens, 0);
  await policy.release();
  return {
    timings,
    generated,
    trainedTokens: result.metrics.tokenCount,
    skipped: result.skipped ? result.reason : null,
  };
}

console.log(
  `GRPO step bench: ${modelName}, ${questionsPerStep} questions × ${groupSize} rollouts, ≤ ${budget} new tokens each; ${cpus().length} cores (${cpus()[0]?.model}), ${threads} threads`,
);
const runs: Array<[string, Awaited<ReturnType<typeof step>>]> = [[provider, await step(provider)]];
if (provider !== 'cpu' && !argv.includes('--no-cpu-baseline')) runs.push(['cpu', await step('cpu')]);
for (const [name, run] of runs) {
  const parts = Object.entries(run.timings).map(
    ([key, value]) => `${key.replace(/Ms$/, '')} ${(value / 1000).toFixed(2)} s`,
  );
  console.log(
    `${name}: ${parts.join(', ')}; ${run.generated} tokens generated, ${run.trainedTokens} trained${run.skipped === null ? '' : `, update skipped: ${run.skipped}`}`,
  );
}
if (runs.length === 2)
  console.log(
    `${provider} / cpu wall time: ${(runs[0]![1].timings.totalMs! / runs[1]![1].timings.totalMs!).toFixed(2)}×`,
  );
