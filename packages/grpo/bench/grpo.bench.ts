/**
 * Loss + gradient throughput of the GRPO actor loss on a ReSearch-sized batch (256 sequences × 8192
 * response tokens), beside a baseline measured in the same process: one fused pass that only sums the
 * same input arrays (memory-bandwidth bound). Also an AdamW step beside a pass that reads and writes
 * the same four arrays. Run: `npm run bench -w @research-ts/grpo`.
 */
import { performance } from 'node:perf_hooks';
import { computeActorLoss, computePolicyLoss, createAdamW, type ActorLossOptions } from '@research-ts/grpo';

const batch = 256;
const responseLength = 8192;
const size = batch * responseLength;
const repeats = 9;

let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};

const logprobs = new Float32Array(size);
const oldLogprobs = new Float32Array(size);
const refLogprobs = new Float32Array(size);
const entropies = new Float32Array(size);
const mask = new Uint8Array(size);
const advantages = new Float32Array(batch);
for (let row = 0; row < batch; row++) {
  advantages[row] = random() * 4 - 2;
  const valid = 1024 + Math.floor(random() * (responseLength - 1024));
  for (let t = 0; t < responseLength; t++) {
    const k = row * responseLength + t;
    logprobs[k] = -random() * 3;
    oldLogprobs[k] = logprobs[k]! - (random() - 0.5) * 0.2;
    refLogprobs[k] = logprobs[k]! - (random() - 0.5) * 0.5;
    entropies[k] = random() * 2;
    // padding after `valid`, and a 200-token inserted <result> block masked out every 2000 tokens
    mask[k] = t < valid && t % 2000 >= 200 ? 1 : 0;
  }
}
const gradLogprobs = new Float32Array(size);
const gradEntropies = new Float32Array(size);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

let sink = 0;
function once(run: () => number): number {
  const start = performance.now();
  sink += run();
  return performance.now() - start;
}

/**
 * Times `run` and the baseline alternately (2 warm-up pairs, then `repeats` pairs), so that a change
 * in machine load between runs hits both; reports medians and the median of the per-pair ratios.
 */
function compare(run: () => number, baseline: () => number) {
  for (let index = 0; index < 2; index++) {
    once(baseline);
    once(run);
  }
  const runs: number[] = [];
  const baselines: number[] = [];
  const ratios: number[] = [];
  for (let index = 0; index < repeats; index++) {
    const b = once(baseline);
    const r = once(run);
    baselines.push(b);
    runs.push(r);
    ratios.push(r / b);
  }
  return { milliseconds: median(runs), best: Math.min(...runs), baseline: median(baselines), ratio: median(ratios) };
}

function sumInputs(): number {
  let total = 0;
  for (let k = 0; k < size; k++) total += logprobs[k]! + oldLogprobs[k]! + refLogprobs[k]! + entropies[k]! + mask[k]!;
  return total;
}

const common: ActorLossOptions = {
  logprobs,
  oldLogprobs,
  refLogprobs,
  entropies,
  mask,
  advantages,
  responseLength,
  out: { gradLogprobs, gradEntropies },
};

const variants: [string, () => number][] = [
  ['actor loss, ReSearch defaults (k3, token-mean)', () => computeActorLoss(common).loss],
  [
    'actor loss, dual clip + k3+ + seq-mean-token-mean',
    () =>
      computeActorLoss({ ...common, dualClip: 3, klEstimator: 'k3+', aggregation: { mode: 'seq-mean-token-mean' } })
        .loss,
  ],
  [
    'actor loss, TRL dapo + unclamped k3, no entropy',
    () =>
      computeActorLoss({
        ...common,
        klEstimator: 'k3-unclamped',
        logRatioClamp: Number.POSITIVE_INFINITY,
        entropyCoefficient: 0,
        aggregation: { mode: 'trl-dapo', globalTokenCount: size },
      }).loss,
  ],
  ['actor loss, k2 (generic estimator path)', () => computeActorLoss({ ...common, klEstimator: 'k2' }).loss],
  [
    'policy loss only (no KL, no entropy)',
    () => computePolicyLoss({ logprobs, oldLogprobs, advantages, mask, responseLength, out: { gradLogprobs } }).loss,
  ],
];

const megatokens = (milliseconds: number) => (size / (milliseconds / 1000) / 1e6).toFixed(1);
console.log(
  `GRPO loss + gradients, ${batch} × ${responseLength} = ${size} tokens (float32 inputs, Uint8 mask), ${repeats} timed pairs`,
);
console.log(
  '  baseline = one fused pass summing the 5 input arrays (memory-bandwidth bound), timed alternately with each variant',
);
for (const [name, run] of variants) {
  const result = compare(run, sumInputs);
  console.log(
    `  ${name.padEnd(50)} ${result.milliseconds.toFixed(1).padStart(7)} ms (best ${result.best.toFixed(1)})  ${megatokens(result.milliseconds).padStart(6)} Mtok/s` +
      `  baseline ${result.baseline.toFixed(1).padStart(5)} ms (${megatokens(result.baseline)} Mtok/s)  ratio ${result.ratio.toFixed(1)}×`,
  );
}

// AdamW over 4M parameters
const parameterCount = 4 * 1024 * 1024;
const parameter = Float32Array.from({ length: parameterCount }, () => random() - 0.5);
const gradient = Float32Array.from({ length: parameterCount }, () => (random() - 0.5) * 1e-3);
const optimizer = createAdamW({ parameters: [{ name: 'w', value: parameter }], lr: 1e-6 });
const expAvg = new Float32Array(parameterCount);
const expAvgSq = new Float32Array(parameterCount);
const adamBaseline = () => {
  for (let index = 0; index < parameterCount; index++) {
    const g = gradient[index]!;
    expAvg[index] = expAvg[index]! * 0.9 + g;
    expAvgSq[index] = expAvgSq[index]! * 0.999 + g * g;
    parameter[index] = parameter[index]! - expAvg[index]! * 1e-9;
  }
  return parameter[0]!;
};
const adam = compare(() => optimizer.step({ w: gradient }).step, adamBaseline);
const megaparameters = (milliseconds: number) => (parameterCount / (milliseconds / 1000) / 1e6).toFixed(1);
console.log(`AdamW step, ${parameterCount} parameters, ${repeats} timed pairs`);
console.log(
  `  createAdamW().step ${adam.milliseconds.toFixed(1).padStart(7)} ms (best ${adam.best.toFixed(1)})  ${megaparameters(adam.milliseconds)} Mparam/s` +
    `  baseline (fused read/write of p, g, m, v) ${adam.baseline.toFixed(1)} ms  ratio ${adam.ratio.toFixed(1)}×`,
);
if (Number.isNaN(sink)) console.log('(sink)');
