/**
 * Share of rollout wall time spent outside the policy (query parsing, ids and masks, the batched
 * in-memory retrieval, result-block encoding, trajectory construction).
 *
 * The policy is pluggable: by default a policy that returns precomputed ids instantly, so the wall
 * time IS the rollout's own work; the share for a real device is then outside / (outside + device
 * time), shown for a few batch throughputs, and one run with a simulated device (a timer per call)
 * checks that model. Set BENCH_POLICY_MODULE to a module exporting
 * `createBenchPolicy(turnsBySample, tokenizer): Promise<Policy> | Policy` to time another policy.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Policy, Tokenizer } from '@research-ts/spec';
import {
  InMemoryRetriever,
  WordTokenizer,
  makeCorpus,
  makeTurns,
  makeWords,
  precomputedPolicy,
  seededRandom,
} from './bench-fixtures';
import { measureRolloutOverhead, type OverheadMeasurement } from './measure-rollout-overhead';

const config = {
  prompts: 64,
  samplesPerPrompt: 5,
  searchesPerSample: 3,
  wordsPerThought: 100,
  corpusPassages: 20_000,
  wordsPerPassage: 100,
  vocabularyWords: 20_000,
  topK: 5,
  responseBudget: 8192,
  runs: 5,
};

const random = seededRandom(42);
const words = makeWords(config.vocabularyWords, random);
const corpus = makeCorpus(config.corpusPassages, config.wordsPerPassage, words, random);
const retriever = new InMemoryRetriever(corpus);
const sampleCount = config.prompts * config.samplesPerPrompt;
const turnsBySample = Array.from({ length: sampleCount }, () =>
  makeTurns(config.searchesPerSample, config.wordsPerThought, words, random),
);
const prompts = Array.from({ length: config.prompts }, (_, index) =>
  Array.from({ length: 200 }, (_unused, position) => 1 + ((index * 200 + position) % 5000)),
);

type PolicyFactory = (turns: readonly (readonly string[])[], tokenizer: Tokenizer) => Promise<Policy> | Policy;
const external = process.env.BENCH_POLICY_MODULE;
const createPolicy: PolicyFactory =
  external === undefined
    ? (turns, tokenizer) => precomputedPolicy(turns, tokenizer)
    : ((await import(pathToFileURL(external).href)) as { createBenchPolicy: PolicyFactory }).createBenchPolicy;

async function runOnce(policyFactory: PolicyFactory): Promise<OverheadMeasurement> {
  const tokenizer = new WordTokenizer();
  const policy = await policyFactory(turnsBySample, tokenizer);
  const { measurement, samples } = await measureRolloutOverhead({
    policy,
    retriever,
    tokenizer,
    prompts,
    samplesPerPrompt: config.samplesPerPrompt,
    topK: config.topK,
    responseBudget: config.responseBudget,
  });
  const reasons = new Set(samples.map((sample) => sample.trajectory.finishReason));
  if (reasons.size !== 1 || !reasons.has('eos'))
    throw new Error(`unexpected finish reasons: ${[...reasons].join(', ')}`);
  return measurement;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const format = (milliseconds: number) => `${milliseconds.toFixed(1)} ms`;
const percent = (share: number) => `${(share * 100).toFixed(2)} %`;

console.log(
  `rollout overhead bench — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`,
);
console.log(
  `${sampleCount} samples (${config.prompts} prompts × ${config.samplesPerPrompt}), ${config.searchesPerSample} searches each, ` +
    `${config.corpusPassages} passages × ${config.wordsPerPassage} words, top-${config.topK}, policy: ${external ?? 'precomputed ids (instant)'}`,
);

await runOnce(createPolicy); // warm-up
const measurements: OverheadMeasurement[] = [];
for (let run = 0; run < config.runs; run += 1) measurements.push(await runOnce(createPolicy));
const outside = median(measurements.map((measurement) => measurement.outsideMs));
const policyTime = median(measurements.map((measurement) => measurement.policyMs));
const wall = median(measurements.map((measurement) => measurement.wallMs));
const retrieval = median(measurements.map((measurement) => measurement.retrieverMs));
const tokenization = median(measurements.map((measurement) => measurement.tokenizerMs));
const loop = median(measurements.map((measurement) => measurement.loopMs));
const { generatedTokens, insertedTokens, generateCalls } = measurements[0]!;

console.log(`\nmedian of ${config.runs} runs after a warm-up:`);
console.log(
  `  wall ${format(wall)}, inside policy.generate ${format(policyTime)} (baseline), outside ${format(outside)}`,
);
console.log(
  `  of which: retriever.search ${format(retrieval)}, tokenizer ${format(tokenization)}, the loop itself ${format(loop)}`,
);
console.log(
  `  ratio outside / inside policy: ${(outside / policyTime).toFixed(3)}; share of wall outside the policy: ${percent(outside / wall)}`,
);
console.log(
  `  ${generateCalls} generate calls, ${generatedTokens} generated + ${insertedTokens} inserted tokens; ` +
    `outside cost ${((outside * 1000) / (generatedTokens + insertedTokens)).toFixed(3)} µs per response token, ${format(outside / generateCalls)} per step`,
);

if (external === undefined) {
  console.log('\nshare of wall time outside the policy for a device generating at a given batch throughput');
  console.log('(all outside work: outside / (outside + device); the loop alone: loop / (outside + device)):');
  for (const tokensPerSecond of [1_000, 10_000, 50_000, 200_000]) {
    const deviceMs = (generatedTokens / tokensPerSecond) * 1000;
    console.log(
      `  ${String(tokensPerSecond).padStart(7)} tokens/s: device ${format(deviceMs).padStart(11)}, ` +
        `all outside ${percent(outside / (outside + deviceMs)).padStart(8)}, loop alone ${percent(loop / (outside + deviceMs)).padStart(8)}`,
    );
  }
  const simulatedRate = 50_000;
  const simulated = await runOnce((turns, tokenizer) => precomputedPolicy(turns, tokenizer, simulatedRate));
  console.log(
    `\nsimulated device at ${simulatedRate} tokens/s (a timer per call): wall ${format(simulated.wallMs)}, policy ${format(simulated.policyMs)}, ` +
      `outside ${format(simulated.outsideMs)}, share ${percent(simulated.share)}`,
  );
}
