/**
 * One GRPO step of the CPU demo's shape, in process: a Qwen2-family decoder of hidden 128, 2 layers, 4 heads,
 * 406 ids, tied and frozen embeddings (`npm run demo`'s preset `tiny`, random weights), on onnxruntime's CPU
 * provider with one thread; a KL reference of the same shape. A step is what `createTrainStep` runs on it:
 *
 * - **rollout**: 16 prompts of 36–44 tokens × a group of 5 = 80 sequences through `policy.generate` as the
 *   ReSearch loop calls it: a first turn of 8–24 new tokens (where the demo's policy closes `</search>`), a
 *   22–28-token result block appended to 4 in 5 of them, a second turn of 6–20 new tokens (the answer); the new
 *   token counts are fixed per sequence (`maxNewTokens`, no stop string), so each run decodes the same tokens;
 * - **update**: `trainer.step` on those 80 trajectories with the demo's settings (KL 0.01 to the reference,
 *   no entropy term, 4096 tokens per micro-batch, `rescoreFirstEpoch: false`, AdamW without weight decay).
 *
 * Printed: steps per second, the step's time split into rollout (prefill + decode runs, sampling and the
 * sequences' JavaScript), old log-probabilities, reference log-probabilities, forward + backward, loss,
 * packing, the optimizer; and the baseline, timed alternately in the same process: one forward + backward
 * run of the training graph over all 80 sequences at once ([80, longest]; no scoring, no loss, no optimizer):
 * the arithmetic an update cannot avoid, so `update / baseline` is what the rest costs.
 *
 *   npm run bench -w @research-ts/training [-- --steps 7 --threads 1]
 */
import { performance } from 'node:perf_hooks';
import {
  createOnnxPolicy,
  createRandomModel,
  DecoderTraining,
  engineRunCounters,
  tinyConfig,
} from '@research-ts/policy-onnx';
import type { GenerateRequest, TokenBatch, Tokenizer, Trajectory } from '@research-ts/spec';
import { createGrpoTrainer, freezeParameters, type GrpoStepTimings, type TrainingSample } from '../src/index';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const steps = option('steps', 7);
const threads = option('threads', 1);
const warmupSteps = 2;
const prompts = 16;
const groupSize = 5;
const vocabSize = 406;

const config = tinyConfig({
  hiddenSize: 128,
  intermediateSize: 256,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  numKeyValueHeads: 4,
  headDim: 32,
  maxPositionEmbeddings: 512,
  vocabSize,
});

/** Ids as space-separated numbers; no end-of-sequence id, so a sequence ends on its `maxNewTokens`. */
const tokenizer: Tokenizer = {
  specificationVersion: 'v1',
  vocabSize,
  eosTokenIds: [],
  padTokenId: 0,
  encode: (text: string) => text.split(' ').map(Number),
  decode: (ids: readonly number[]) => ids.join(' '),
  tokenToId: () => undefined,
  idToToken: () => undefined,
  applyChatTemplate: () => '',
} as unknown as Tokenizer;

let seed = 2026;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
const someIds = (count: number) => Array.from({ length: count }, () => between(3, vocabSize - 1));

/** Each sequence's shape, fixed for the whole run: new tokens of its two turns and the inserted block between. */
const promptIds = Array.from({ length: prompts }, () => someIds(between(36, 44)));
const shapes = Array.from({ length: prompts * groupSize }, () => {
  const searches = random() < 0.8;
  return {
    firstTurn: between(8, 24),
    resultBlock: searches ? someIds(between(22, 28)) : [],
    secondTurn: searches ? between(6, 20) : 0,
  };
});

const model = createRandomModel(config, { seed: 1 });
const referenceModel = { config, parameters: new Map([...model.parameters].map(([name, p]) => [name, p.slice()])) };
const policy = await createOnnxPolicy({ model, tokenizer, threads });
const reference = await createOnnxPolicy({ model: referenceModel, tokenizer, threads });
const trainer = createGrpoTrainer({
  policy: freezeParameters(policy, ['model.embed_tokens.weight']),
  reference,
  optimizer: { lr: 2e-3, weightDecay: 0 },
  lossOptions: { klCoefficient: 0.01, entropyCoefficient: 0 },
  maxTokensPerMicroBatch: 4096,
  rescoreFirstEpoch: false,
});

/** The rollouts of one step: two `generate` calls over the 80 sequences, as the ReSearch loop makes them. */
async function rolloutStep(stepSeed: number): Promise<TrainingSample[]> {
  const request = (inputIds: number[], maxNewTokens: number, index: number): GenerateRequest => ({
    inputIds,
    maxNewTokens,
    sampling: { temperature: 1, seed: stepSeed * 1000 + index },
  });
  const first = await policy.generate(
    shapes.map((shape, index) => request(promptIds[Math.floor(index / groupSize)]!, shape.firstTurn, index)),
  );
  const searching = shapes.flatMap((shape, index) => (shape.secondTurn > 0 ? [index] : []));
  const contexts = searching.map((index) => [
    ...promptIds[Math.floor(index / groupSize)]!,
    ...first[index]!.outputIds,
    ...shapes[index]!.resultBlock,
  ]);
  const second = await policy.generate(
    searching.map((index, position) => request(contexts[position]!, shapes[index]!.secondTurn, index)),
  );
  return shapes.map((shape, index) => {
    const answer = second[searching.indexOf(index)]?.outputIds ?? [];
    const responseIds = [...first[index]!.outputIds, ...shape.resultBlock, ...answer];
    const lossMask = Uint8Array.from([
      ...first[index]!.outputIds.map(() => 1),
      ...shape.resultBlock.map(() => 0),
      ...answer.map(() => 1),
    ]);
    const trajectory: Trajectory = {
      promptIds: promptIds[Math.floor(index / groupSize)]!,
      responseIds,
      lossMask,
      segments: [],
      text: '',
      finishReason: 'eos',
      searches: [],
    };
    return { trajectory, groupId: Math.floor(index / groupSize), reward: random() < 0.5 ? 1 : 0.1 };
  });
}

/** The baseline: one forward + backward run over every sequence of the step at once, nothing else. */
const floor = new DecoderTraining(config, model.parameters, { threads, maxTokensPerRun: Number.MAX_SAFE_INTEGER });
function wholeBatch(samples: readonly TrainingSample[]): { batch: TokenBatch; upstream: Float32Array } {
  const rows = samples.map(({ trajectory }) => [...trajectory.promptIds, ...trajectory.responseIds]);
  const length = Math.max(...rows.map((row) => row.length));
  const inputIds = new Int32Array(rows.length * length);
  const attentionMask = new Uint8Array(rows.length * length);
  rows.forEach((row, index) => {
    inputIds.set(row, index * length);
    attentionMask.fill(1, index * length, index * length + row.length);
  });
  const upstream = Float32Array.from({ length: rows.length * (length - 1) }, () => (random() - 0.5) * 1e-3);
  return { batch: { batch: rows.length, length, inputIds, attentionMask } as TokenBatch, upstream };
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface StepRecord {
  rolloutMs: number;
  /** CPU time of the process (every thread): what the step costs when the cores are shared. */
  rolloutCpuMs: number;
  updateCpuMs: number;
  /** Inside onnxruntime's runs during the rollout, and their number. */
  rolloutEngineMs: number;
  rolloutRuns: number;
  updateMs: number;
  updateEngineMs: number;
  updateRuns: number;
  baselineMs: number;
  timings: GrpoStepTimings;
  tokens: number;
  paddedTokens: number;
  microBatches: number;
}

const records: StepRecord[] = [];
for (let step = 0; step < warmupSteps + steps; step++) {
  const runsBefore = engineRunCounters();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const samples = await rolloutStep(step);
  const rolled = performance.now();
  const cpuRolled = process.cpuUsage();
  const runsRolled = engineRunCounters();
  const result = await trainer.step(samples);
  const updated = performance.now();
  const cpuUpdated = process.cpuUsage();
  const runsUpdated = engineRunCounters();
  if (result.skipped) throw new Error(result.message);
  const { batch, upstream } = wholeBatch(samples);
  const baselineStart = performance.now();
  await floor.backward(batch, { gradLogprobs: upstream });
  const baselineMs = performance.now() - baselineStart;
  if (step < warmupSteps) continue;
  records.push({
    rolloutMs: rolled - started,
    rolloutCpuMs: cpuMs(cpuRolled) - cpuMs(cpuBefore),
    updateCpuMs: cpuMs(cpuUpdated) - cpuMs(cpuRolled),
    rolloutEngineMs: runsRolled.milliseconds - runsBefore.milliseconds,
    rolloutRuns: runsRolled.runs - runsBefore.runs,
    updateMs: updated - rolled,
    updateEngineMs: runsUpdated.milliseconds - runsRolled.milliseconds,
    updateRuns: runsUpdated.runs - runsRolled.runs,
    baselineMs,
    timings: result.metrics.timings,
    tokens: result.metrics.tokenCount,
    paddedTokens: result.metrics.paddedTokenCount,
    microBatches: result.metrics.microBatchCount,
  });
}

const pick = (value: (record: StepRecord) => number) => median(records.map(value));
const stepMs = pick((record) => record.rolloutMs + record.updateMs);
const baselineMs = pick((record) => record.baselineMs);
const line = (label: string, ms: number) =>
  `  ${label.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / stepMs).toFixed(1).padStart(5)} % of the step  ${(ms / baselineMs).toFixed(2).padStart(6)}× baseline`;
console.log(
  `GRPO step, the demo's shape: ${prompts} prompts × ${groupSize}, ${pick((record) => record.tokens)} tokens ` +
    `(${pick((record) => record.paddedTokens)} padded) in ${pick((record) => record.microBatches)} micro-batches, ` +
    `${threads} thread(s); median of ${steps} steps after ${warmupSteps} warm-up`,
);
const cpuStepMs = pick((record) => record.rolloutCpuMs + record.updateCpuMs);
console.log(
  `  steps per second ${(1000 / stepMs).toFixed(2)} (wall); CPU time per step ${cpuStepMs.toFixed(0)} ms = rollout ` +
    `${pick((record) => record.rolloutCpuMs).toFixed(0)} + update ${pick((record) => record.updateCpuMs).toFixed(0)} ms ` +
    `(${(1000 / cpuStepMs).toFixed(2)} steps per CPU-second, the rate on an idle core)`,
);
console.log(line('step', stepMs));
console.log(
  line(
    'rollout (prefill, decode, sampling)',
    pick((record) => record.rolloutMs),
  ),
);
console.log(
  line(
    `  onnxruntime runs (${pick((record) => record.rolloutRuns)})`,
    pick((record) => record.rolloutEngineMs),
  ),
);
console.log(
  line(
    '  JavaScript between them (sampling, caches, feeds)',
    pick((record) => record.rolloutMs - record.rolloutEngineMs),
  ),
);
console.log(
  line(
    'update (trainer.step)',
    pick((record) => record.updateMs),
  ),
);
console.log(
  line(
    `  onnxruntime runs (${pick((record) => record.updateRuns)})`,
    pick((record) => record.updateEngineMs),
  ),
);
console.log(
  line(
    '  old log-probabilities',
    pick((record) => record.timings.oldScoresMs),
  ),
);
console.log(
  line(
    '  reference log-probabilities',
    pick((record) => record.timings.referenceScoresMs),
  ),
);
console.log(
  line(
    '  forward + backward',
    pick((record) => record.timings.scoresMs + record.timings.backwardMs),
  ),
);
console.log(
  line(
    '  loss',
    pick((record) => record.timings.lossMs),
  ),
);
console.log(
  line(
    '  packing',
    pick((record) => record.timings.packMs),
  ),
);
console.log(
  line(
    '  optimizer (clip + AdamW)',
    pick((record) => record.timings.optimizerMs),
  ),
);
console.log(
  line(
    '  the rest of trainer.step',
    pick(
      (record) =>
        record.updateMs -
        (record.timings.oldScoresMs +
          record.timings.referenceScoresMs +
          record.timings.scoresMs +
          record.timings.backwardMs +
          record.timings.lossMs +
          record.timings.packMs +
          record.timings.optimizerMs),
    ),
  ),
);
console.log(line('baseline: one forward + backward run', baselineMs));
await Promise.all([policy.release(), reference.release(), floor.release()]);
