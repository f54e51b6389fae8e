/**
 * The cost of `createGrpoTrainer().step` per 1M tokens: outside the policy, packing and the loss with
 * its gradients; inside it, on the host, gradient accumulation and the clip + AdamW update (spec's
 * `createHostTrainingState`, what a CPU policy runs). The policy is a stand-in whose `scoreTokens` and
 * backward do almost nothing (fixed scores, a fixed gradient), so what remains is the training step's.
 * Baseline, timed alternately in the same process: `computeActorLoss` alone over the same packed
 * micro-batches (the math no trainer can skip). Run: `npm run bench -w @research-ts/grpo`.
 */
import { performance } from 'node:perf_hooks';
import {
  createHostTrainingState,
  trainingStateMethods,
  type TokenBatch,
  type TokenScores,
  type TrainablePolicy,
  type Trajectory,
} from '@research-ts/spec';
import { computeActorLoss } from '@research-ts/grpo';
import { createGrpoTrainer, packTrajectories, type GrpoStepTimings, type TrainingSample } from '../src/index';

const sampleCount = 160;
const promptLength = 512;
const parameterCount = 1024 * 1024;
const repeats = 7;

let seed = 2024;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

/** ReSearch-like rollouts: a 512-token prompt, 2048–8192 response tokens, a 200-token result block every 2000. */
const samples: TrainingSample[] = Array.from({ length: sampleCount }, (_, index) => {
  const responseLength = 2048 + Math.floor(random() * 6144);
  const responseIds = Array.from({ length: responseLength }, () => Math.floor(random() * 150_000));
  const lossMask = Uint8Array.from({ length: responseLength }, (_, t) => (t % 2000 >= 1800 ? 0 : 1));
  const trajectory: Trajectory = {
    promptIds: Array.from({ length: promptLength }, () => Math.floor(random() * 150_000)),
    responseIds,
    lossMask,
    segments: [],
    text: '',
    finishReason: 'eos',
    searches: [],
  };
  return { trajectory, groupId: `q${Math.floor(index / 5)}`, reward: random() < 0.4 ? random() : 0.1 };
});

/** Fixed scores (a deterministic function of the position) and a fixed gradient, on spec's host training state. */
function standInPolicy(): TrainablePolicy {
  const names = ['a', 'b', 'c', 'd'];
  const parameters = new Map(
    names.map((name) => [name, Float32Array.from({ length: parameterCount / 4 }, () => random() - 0.5)]),
  );
  const gradients = new Map(
    names.map((name) => [name, Float32Array.from({ length: parameterCount / 4 }, () => (random() - 0.5) * 1e-4)]),
  );
  const training = createHostTrainingState(parameters);
  return {
    specificationVersion: 'v1',
    name: 'stand-in',
    ...trainingStateMethods(training),
    generate: async () => [],
    async scoreTokens(batch: TokenBatch): Promise<TokenScores> {
      const size = batch.batch * (batch.length - 1);
      const logprobs = new Float32Array(size);
      const entropies = new Float32Array(size);
      for (let index = 0; index < size; index++) {
        logprobs[index] = -0.5 - (index % 13) * 0.1;
        entropies[index] = 1 + (index % 5) * 0.1;
      }
      return { logprobs, entropies };
    },
    accumulateGradients: async () => training.accumulate(gradients),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

for (const maxTokensPerMicroBatch of [2 * (512 + 8192), 65_536]) {
  const policy = standInPolicy();
  const trainer = createGrpoTrainer({ policy, reference: standInPolicy(), maxTokensPerMicroBatch });
  // baseline: the loss alone on the same micro-batches, with inputs prepared outside the timing
  const packed = packTrajectories(samples, { maxTokensPerMicroBatch, padId: 0 });
  const prepared = await Promise.all(
    packed.microBatches.map(async (micro) => {
      const scores = await policy.scoreTokens(micro.batch);
      return { micro, scores, advantages: Float64Array.from(micro.sampleIndices, () => random() * 2 - 1) };
    }),
  );
  const baseline = () => {
    const start = performance.now();
    for (const { micro, scores, advantages } of prepared) {
      computeActorLoss({
        logprobs: scores.logprobs,
        oldLogprobs: scores.logprobs,
        refLogprobs: scores.logprobs,
        entropies: scores.entropies,
        advantages,
        mask: micro.lossMask,
        responseLength: micro.batch.length - 1,
        aggregation: { mode: 'token-mean', globalTokenCount: packed.lossTokenCount },
      });
    }
    return performance.now() - start;
  };
  const timings: GrpoStepTimings[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  let microBatches = 0;
  for (let index = 0; index < repeats + 2; index++) {
    const base = baseline();
    const result = await trainer.step(samples);
    if (result.skipped) throw new Error(result.message);
    microBatches = result.metrics.microBatchCount;
    if (index < 2) continue; // warm-up
    timings.push(result.metrics.timings);
    baselines.push(base);
    ratios.push(result.metrics.timings.overheadMs / base);
  }
  const perMillion = 1e6 / packed.tokenCount;
  const phase = (pick: (t: GrpoStepTimings) => number) =>
    (median(timings.map(pick)) * perMillion).toFixed(1).padStart(7);
  console.log(
    `trainer step, ${sampleCount} samples, ${packed.tokenCount} tokens (${packed.lossTokenCount} in the loss), budget ${maxTokensPerMicroBatch}:` +
      ` ${microBatches} micro-batches, ${parameterCount} parameters, ${repeats} timed steps; ms per 1M tokens (median):`,
  );
  console.log(
    `  overhead ${phase((t) => t.overheadMs)}  = pack ${phase((t) => t.packMs)}  loss ${phase((t) => t.lossMs)}` +
      `  (in the policy: scores ${phase((t) => t.oldScoresMs + t.referenceScoresMs + t.scoresMs)}  accumulate ${phase((t) => t.backwardMs)}  clip + AdamW ${phase((t) => t.optimizerMs)})`,
  );
  console.log(
    `  baseline computeActorLoss alone ${(median(baselines) * perMillion).toFixed(1).padStart(7)} ms per 1M tokens;` +
      ` overhead / baseline ${median(ratios).toFixed(2)}×;` +
      ` accumulate ${(median(timings.map((t) => t.backwardMs)) / microBatches / (parameterCount / 1e6)).toFixed(2)} ms per micro-batch per 1M parameters`,
  );
}
