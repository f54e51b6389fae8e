// Decoder benchmark: decode tokens/s (batch 1 and 16) beside the weight-streaming limit, and
// forward+backward tokens/s and GFLOP/s beside a large MatMul, for a tiny decoder and one shaped like
// Qwen2.5-0.5B (random weights); peak resident memory of each phase. Every phase runs in its own
// child process (so its peak RSS is its own) and measures its baseline in that process, right before
// and after the measurement (the machine is shared: the mean of the two is the baseline).
//
// A train phase also times one whole training step through the seam (`accumulateGradients` +
// `applyUpdate`: clip and AdamW on the policy's own state — on a GPU, on the device).
// With `--provider webgpu` (or cuda) every phase is run on the CPU provider too, in its own process on the
// same machine, and the ratios are printed. Every number is appended as one JSON line to
// bench/results.jsonl (date, commit, device, provider, threads, model, phase, shape, metric, value, baseline,
// baselineValue).
//
//   npm run bench -w @research-ts/policy-onnx -- [--models tiny,0.5b] [--layers N] [--threads N]
//     [--provider cpu|webgpu|cuda] [--cpu-threads N] [--no-cpu-baseline] [--results FILE]
//     [--decode-tokens N] [--train-shape BxS] [--train-shape-tiny BxS] [--max-tokens-per-run N]
import { GraphBuilder } from '@research-ts/onnx-graph';
import type { Tokenizer } from '@research-ts/spec';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createOnnxPolicy,
  createSession,
  decoderParameterCount,
  qwen2_5_0_5bConfig,
  runSession,
  tinyConfig,
} from '../src/index';
import type { DecoderConfig, ExecutionProvider } from '../src/index';
import { fastParameters } from '../tools/fast-parameters';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 && argv[index + 1] !== undefined ? argv[index + 1]! : fallback;
}
const threads = Number(option('threads', String(availableParallelism())));
const provider = option('provider', 'cpu') as ExecutionProvider;

function modelConfig(name: string): DecoderConfig {
  if (name === 'tiny') return tinyConfig();
  const layers = Number(option('layers', '24'));
  return { ...qwen2_5_0_5bConfig(), numHiddenLayers: layers };
}

function plainTokenizer(vocabSize: number): Tokenizer {
  return {
    specificationVersion: 'v1',
    vocabSize,
    eosTokenIds: [],
    eosToken: undefined,
    padTokenId: undefined,
    encode: (text) => text.split(' ').map(Number),
    decode: (ids) => ids.join(' '),
    tokenToId: () => undefined,
    idToToken: () => undefined,
    applyChatTemplate: () => '',
  };
}

async function median(runs: number, action: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    await action();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** GB/s of a [1, 4096] × [4096, 32768] MatMul whose 512 MiB weight (beyond any cache) is a graph input (the decode pattern). */
async function gemvStreamRate(): Promise<number> {
  const [k, n] = [4096, 32768];
  const graph = new GraphBuilder();
  graph.output(graph.matMul(graph.input('x', 'float32', [1, k]), graph.input('w', 'float32', [k, n])), 'y');
  const session = await createSession(graph.serialize(), { executionProvider: provider, intraOpNumThreads: threads });
  const feeds = {
    x: { data: new Float32Array(k).fill(0.5), dims: [1, k] },
    w: { data: new Float32Array(k * n).fill(0.25), dims: [k, n] },
  };
  await runSession(session, feeds);
  const ms = await median(7, async () => void (await runSession(session, feeds)));
  await session.release();
  return (k * n * 4) / ms / 1e6;
}

/** GFLOP/s of a 1024 × 4096 × 4096 MatMul (both operands graph inputs). */
async function matMulRate(): Promise<number> {
  const [m, k, n] = [1024, 4096, 4096];
  const graph = new GraphBuilder();
  graph.output(graph.matMul(graph.input('a', 'float32', [m, k]), graph.input('b', 'float32', [k, n])), 'y');
  const session = await createSession(graph.serialize(), { executionProvider: provider, intraOpNumThreads: threads });
  const feeds = {
    a: { data: new Float32Array(m * k).fill(0.5), dims: [m, k] },
    b: { data: new Float32Array(k * n).fill(0.25), dims: [k, n] },
  };
  await runSession(session, feeds);
  const ms = await median(3, async () => void (await runSession(session, feeds)));
  await session.release();
  return (2 * m * k * n) / ms / 1e6;
}

/** The GPU's name (nvidia-smi) on a GPU provider, else the CPU's model. */
function deviceName(): string {
  if (provider !== 'cpu') {
    try {
      return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' })
        .trim()
        .split('\n')[0]!;
    } catch {
      return `${provider} adapter (nvidia-smi not found; ${cpus()[0]?.model ?? 'unknown CPU'} host)`;
    }
  }
  return `${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}`;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

const peakMiB = () => process.resourceUsage().maxRSS / 1024;

interface PhaseResult {
  phase: string;
  [key: string]: number | string;
}

async function decodePhase(model: string): Promise<PhaseResult> {
  const config = modelConfig(model);
  const decodeTokens = Number(option('decode-tokens', model === 'tiny' ? '64' : '8'));
  const parameters = fastParameters(config);
  const policy = await createOnnxPolicy({
    model: { config, parameters },
    tokenizer: plainTokenizer(config.vocabSize),
    threads,
    executionProvider: provider,
  });
  const prompt = Array.from({ length: 32 }, (_, index) => (17 + 31 * index) % config.vocabSize);
  const timeGeneration = async (batch: number, tokens: number) => {
    policy.clearCache();
    const requests = Array.from({ length: batch }, (_, index) => ({
      inputIds: [...prompt, index],
      maxNewTokens: tokens,
      sampling: { temperature: 1, seed: index },
    }));
    const start = performance.now();
    await policy.generate(requests);
    return performance.now() - start;
  };
  const before = await gemvStreamRate();
  const result: PhaseResult = { phase: `decode ${model}` };
  for (const batch of [1, 16]) {
    await timeGeneration(batch, 2); // warm-up
    // decode time = (prefill + N steps) − (prefill + 1 step), per step
    const short = await timeGeneration(batch, 1);
    const long = await timeGeneration(batch, 1 + decodeTokens);
    const stepMs = Math.max(1e-6, (long - short) / decodeTokens);
    result[`batch${batch}TokensPerSecond`] = (1000 * batch) / stepMs;
    console.error(`  ${model}: batch ${batch}: ${stepMs.toFixed(1)} ms per decode step`);
  }
  const after = await gemvStreamRate();
  const streamRate = (before + after) / 2;
  const weightBytes = 4 * decoderParameterCount(config);
  result.weightBytesPerToken = weightBytes;
  result.gemvGBs = streamRate;
  result.limitTokensPerSecond = (streamRate * 1e9) / weightBytes;
  result.batch1OfLimit = (result.batch1TokensPerSecond as number) / (result.limitTokensPerSecond as number);
  result.peakRssMiB = peakMiB();
  await policy.release();
  return result;
}

/** Multiply-adds ×2 of one forward pass per token: every linear layer and lm_head, plus attention (full square). */
function forwardFlopsPerToken(config: DecoderConfig, sequence: number): number {
  const linear = decoderParameterCount(config) - (config.tieWordEmbeddings ? 0 : config.vocabSize * config.hiddenSize); // tied: embed counted once, used by lm_head
  const attention = 2 * 2 * sequence * config.numAttentionHeads * config.headDim * config.numHiddenLayers;
  return 2 * linear + attention;
}

async function trainPhase(model: string): Promise<PhaseResult> {
  const config = modelConfig(model);
  const [batch, sequence] = option(
    model === 'tiny' ? 'train-shape-tiny' : 'train-shape',
    model === 'tiny' ? '16x128' : '1x256',
  )
    .split('x')
    .map(Number) as [number, number];
  const parameters = fastParameters(config);
  const maxTokensPerRun = Number(option('max-tokens-per-run', '1024'));
  const policy = await createOnnxPolicy({
    model: { config, parameters },
    tokenizer: plainTokenizer(config.vocabSize),
    threads,
    executionProvider: provider,
    maxTokensPerRun,
  });
  const inputIds = Int32Array.from({ length: batch * sequence }, (_, index) => (index * 7919) % config.vocabSize);
  const tokenBatch = { inputIds, attentionMask: new Uint8Array(batch * sequence).fill(1), batch, length: sequence };
  const upstream = {
    gradLogprobs: new Float32Array(batch * (sequence - 1)).fill(1 / (batch * sequence)),
    gradEntropies: new Float32Array(batch * (sequence - 1)).fill(-0.01),
  };
  const before = await matMulRate();
  const rssBefore = peakMiB();
  await policy.backward(tokenBatch, upstream); // warm-up (sessions, buffers)
  const runs = model === 'tiny' ? 5 : 1;
  const ms = await median(runs, async () => void (await policy.backward(tokenBatch, upstream)));
  const forwardMs = await median(runs, async () => void (await policy.scoreTokens(tokenBatch)));
  // one whole step through the training seam: gradients accumulated and the update applied where the policy keeps its state
  const update = { learningRate: 1e-6, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };
  let accumulateMs = 0;
  let updateMs = 0;
  const stepMs = await median(runs, async () => {
    let start = performance.now();
    await policy.accumulateGradients(tokenBatch, upstream);
    accumulateMs = performance.now() - start;
    start = performance.now();
    await policy.applyUpdate(update);
    updateMs = performance.now() - start;
  });
  const after = await matMulRate();
  const tokens = batch * sequence;
  const flops = 3 * forwardFlopsPerToken(config, sequence) * tokens;
  const matMul = (before + after) / 2;
  await policy.release();
  return {
    phase: `train ${model}`,
    shape: `${batch}x${sequence}`,
    maxTokensPerRun,
    forwardBackwardMs: ms,
    forwardMs,
    tokensPerSecond: (1000 * tokens) / ms,
    trainStepMs: stepMs,
    trainStepAccumulateMs: accumulateMs,
    trainStepUpdateMs: updateMs,
    trainStepTokensPerSecond: (1000 * tokens) / stepMs,
    achievedGFlops: flops / ms / 1e6,
    matMulGFlops: matMul,
    ofMatMul: flops / ms / 1e6 / matMul,
    peakRssMiB: peakMiB(),
    rssBeforeStepMiB: rssBefore,
  };
}

const phase = option('phase', '');
if (phase !== '') {
  const [kind, model] = phase.split(':') as ['decode' | 'train', string];
  const result = kind === 'decode' ? await decodePhase(model) : await trainPhase(model);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const models = option('models', 'tiny,0.5b').split(',');
  const device = deviceName();
  const commit = gitCommit();
  console.log(
    `policy-onnx decoder benchmark: Node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, device ${device}, provider ${provider}, ${threads} threads, load average ${loadavg()
      .map((value) => value.toFixed(1))
      .join(' ')}`,
  );
  const self = fileURLToPath(import.meta.url);
  const resultsFile = option('results', fileURLToPath(new URL('./results.jsonl', import.meta.url)));
  const withBaseline = provider !== 'cpu' && !argv.includes('--no-cpu-baseline');
  const cpuThreads = option('cpu-threads', String(availableParallelism()));
  const format = (value: number | string) =>
    typeof value === 'number' ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3)) : value;
  const runPhase = (kind: string, model: string, onProvider: string, phaseThreads: string): PhaseResult => {
    const args = [
      ...argv.filter(
        (_, index, all) =>
          !['--provider', '--threads'].includes(all[index - 1]!) && !['--provider', '--threads'].includes(all[index]!),
      ),
    ];
    const output = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        self,
        ...args,
        '--provider',
        onProvider,
        '--threads',
        phaseThreads,
        '--phase',
        `${kind}:${model}`,
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      },
    );
    return JSON.parse(output.trim().split('\n').pop()!) as PhaseResult;
  };
  const rows: PhaseResult[] = [];
  for (const model of models) {
    for (const kind of ['decode', 'train']) {
      console.log(`${new Date().toISOString()} running ${kind} ${model} on ${provider} …`);
      const row = runPhase(kind, model, provider, String(threads));
      rows.push(row);
      console.log(
        `  ${Object.entries(row)
          .map(([key, value]) => `${key}=${format(value)}`)
          .join('  ')}`,
      );
      let baseline: PhaseResult | undefined;
      if (withBaseline) {
        console.log(`${new Date().toISOString()} running ${kind} ${model} on cpu (baseline) …`);
        baseline = runPhase(kind, model, 'cpu', cpuThreads);
        console.log(
          `  ${Object.entries(baseline)
            .map(([key, value]) => `${key}=${format(value)}`)
            .join('  ')}`,
        );
        const ratios = Object.entries(row).filter(
          ([key, value]) => typeof value === 'number' && /PerSecond$/.test(key) && typeof baseline![key] === 'number',
        );
        console.log(
          `  ${provider} / cpu: ${ratios.map(([key, value]) => `${key} ${((value as number) / (baseline![key] as number)).toFixed(2)}×`).join('  ')}`,
        );
      }
      const date = new Date().toISOString();
      for (const [metric, value] of Object.entries(row)) {
        if (typeof value !== 'number') continue;
        const baselineValue = baseline?.[metric];
        const line = {
          date,
          commit,
          device,
          provider,
          threads,
          model,
          phase: kind,
          shape: row.shape ?? '',
          metric,
          value,
          baseline:
            baseline === undefined
              ? metric === 'batch1OfLimit'
                ? 'gemv stream rate'
                : metric === 'ofMatMul'
                  ? 'MatMul rate'
                  : null
              : `cpu, ${cpuThreads} threads`,
          baselineValue: typeof baselineValue === 'number' ? baselineValue : null,
        };
        appendFileSync(resultsFile, `${JSON.stringify(line)}\n`);
      }
    }
  }
  console.log(`\nsummary (appended to ${resultsFile})`);
  for (const row of rows) {
    if (String(row.phase).startsWith('decode')) {
      console.log(
        `${row.phase}: batch 1 ${(row.batch1TokensPerSecond as number).toFixed(2)} tok/s (limit ${(row.limitTokensPerSecond as number).toFixed(2)} = ${(row.gemvGBs as number).toFixed(1)} GB/s ÷ ${((row.weightBytesPerToken as number) / 1e6).toFixed(1)} MB; ${(row.batch1OfLimit as number).toFixed(2)}× the limit, goal ≥ 0.7), batch 16 ${(row.batch16TokensPerSecond as number).toFixed(1)} tok/s, peak RSS ${(row.peakRssMiB as number).toFixed(0)} MiB`,
      );
    } else {
      console.log(
        `${row.phase} ${row.shape}: forward+backward ${(row.tokensPerSecond as number).toFixed(1)} tok/s, ${(row.achievedGFlops as number).toFixed(1)} GFLOP/s vs MatMul ${(row.matMulGFlops as number).toFixed(1)} GFLOP/s = ${(row.ofMatMul as number).toFixed(2)}× (goal ≥ 0.4); forward only ${(row.forwardMs as number).toFixed(0)} ms; whole step (accumulate + update) ${(row.trainStepMs as number).toFixed(0)} ms, of which update ${(row.trainStepUpdateMs as number).toFixed(0)} ms; peak RSS ${(row.peakRssMiB as number).toFixed(0)} MiB`,
      );
    }
  }
}
