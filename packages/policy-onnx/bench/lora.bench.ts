// LoRA vs full fine-tuning on the same decoder and batch: one training step through the seam
// (`accumulateGradients` + `applyUpdate`), median of N, and the process's peak RSS. Each mode runs in its own
// child process, so each peak is its own; the RSS after creating the policy (before any step) is printed too.
//
//   node --conditions=@research-ts/source --import tsx bench/lora.bench.ts [--layers 4] [--hidden 256]
//     [--vocab 4096] [--rank 16] [--batch 4] [--sequence 128] [--steps 5] [--threads 2]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Tokenizer } from '@research-ts/spec';
import { createOnnxPolicy, decoderParameterCount, tinyConfig } from '../src/index';
import { fastParameters } from '../tools/fast-parameters';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 && argv[index + 1] !== undefined ? argv[index + 1]! : fallback;
};
const [layers, hidden, vocab, rank, rows, sequence, steps, threads] = [
  'layers:4',
  'hidden:256',
  'vocab:4096',
  'rank:16',
  'batch:4',
  'sequence:128',
  'steps:5',
  'threads:2',
].map((spec) => Number(option(spec.split(':')[0]!, spec.split(':')[1]!)));
const config = tinyConfig({
  vocabSize: vocab!,
  hiddenSize: hidden!,
  intermediateSize: (hidden! * 11) / 4,
  numHiddenLayers: layers!,
  numAttentionHeads: hidden! / 64,
  numKeyValueHeads: Math.max(1, hidden! / 128),
  headDim: 64,
});
const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

async function runMode(mode: 'full' | 'lora'): Promise<void> {
  const tokenizer = { specificationVersion: 'v1', vocabSize: vocab! } as unknown as Tokenizer;
  const policy = await createOnnxPolicy({
    model: { config, parameters: fastParameters(config) },
    tokenizer,
    threads: threads!,
    ...(mode === 'lora' ? { lora: { rank: rank!, alpha: 2 * rank!, targets: [...targets], seed: 1 } } : {}),
  });
  const ids = Int32Array.from({ length: rows! * sequence! }, (_, index) => (index * 7919) % vocab!);
  const batch = { inputIds: ids, attentionMask: new Uint8Array(ids.length).fill(1), batch: rows!, length: sequence! };
  const upstream = {
    gradLogprobs: new Float32Array(rows! * (sequence! - 1)).fill(-1e-3),
    gradEntropies: new Float32Array(rows! * (sequence! - 1)),
  };
  const update = {
    learningRate: 1e-4,
    betas: [0.9, 0.999] as [number, number],
    eps: 1e-8,
    weightDecay: 0,
    maxGradNorm: 1,
  };
  const rssAfterCreate = process.memoryUsage().rss;
  const times: number[] = [];
  for (let step = 0; step <= steps!; step++) {
    const start = performance.now();
    await policy.accumulateGradients(batch, upstream);
    await policy.applyUpdate(update);
    if (step > 0) times.push(performance.now() - start); // step 0 builds the sessions
  }
  const trained = [...policy.parameterSizes.values()].reduce((a, b) => a + b, 0);
  await policy.release();
  console.log(
    JSON.stringify({
      mode,
      trainedParameters: trained,
      stepMs: times.sort((a, b) => a - b)[Math.floor(times.length / 2)],
      rssAfterCreateMiB: rssAfterCreate / 2 ** 20,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

const child = option('mode', '');
if (child === 'full' || child === 'lora') await runMode(child);
else {
  console.log(
    `decoder ${layers} layers × hidden ${hidden} (intermediate ${config.intermediateSize}, vocab ${vocab}, ${decoderParameterCount(config)} parameters); batch ${rows}×${sequence}; LoRA r=${rank} on ${targets.join(',')}; ${threads} threads; median of ${steps} steps`,
  );
  for (const mode of ['full', 'lora'])
    process.stdout.write(
      execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--mode', mode], {
        encoding: 'utf8',
      }),
    );
}
