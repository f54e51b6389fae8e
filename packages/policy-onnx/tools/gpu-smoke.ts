// A self-contained GPU check that needs no test runner (it bundles into one file with esbuild, for a
// machine that has only node and onnxruntime-node). Each stage runs in its own child process, so that a
// crash of the native code (a segmentation fault in a GPU kernel) ends that stage only and is reported.
// Stages on each checked provider:
// - graph:{fused,unfused}:past{3,0}: one run of the tiny inference graph (weights as initializers) with
//   and without a past cache, against the CPU's unfused graph (≤ 1e-4). On webgpu (onnxruntime-node
//   1.30) the runs with an empty past cache (zero-sized tensors) crash with SIGSEGV, fused or not: a
//   known crash, reported and not counted; the policy always feeds at least one (masked) past slot;
// - reference: the training graphs against the PyTorch reference fixture;
// - generate:{fused,unfused}[:chunk3]: generation as `createOnnxPolicy` runs it (batched prefill,
//   append-only KV cache, pool prefix reuse, optionally 3-token prefill chunks): greedy ids equal the
//   CPU's, generation logprobs equal the training graph's and the CPU's (≤ 1e-4);
// - compare: the fused and unfused graphs on the same feeds (prefill, decode over padded slots, suffix);
// - placement: where onnxruntime places each node (profiled runs: nodes and time per provider, the op
//   types that fell back to the CPU provider);
// then, per timed provider, throughput:<provider>:<fused|unfused> (0.5B-shaped decode at batch 1 and 16
// through the policy, and forward+backward 1×256) and speed:<provider> (one decode step of the fused vs
// the unfused 0.5B graph, alternating).
//   node --conditions=@research-ts/source --import tsx tools/gpu-smoke.ts [fixtureDirectory] [--layers N]
//     [--check cpu,webgpu] [--no-throughput | --throughput webgpu,cpu] [--cpu-speed] [--steps N]
//     [--stages compare,generate:fused] [--profile-dir DIR] [--stage NAME (one stage, in this process)]
// Bundled and run on a machine without node: tools/gpu-smoke-bundle.sh.
import type { GenerateResult, Tokenizer } from '@research-ts/spec';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  buildInferenceGraph,
  createOnnxPolicy,
  createRandomModel,
  createSession,
  decoderParameterCount,
  DecoderTraining,
  listExecutionProviders,
  loadModelDirectory,
  newKeyValueNames,
  parameterFeeds,
  pastKeyValueNames,
  qwen2_5_0_5bConfig,
  runSession,
  tinyConfig,
  type DecoderConfig,
  type ExecutionProvider,
  type FeedTensor,
  type OnnxSession,
} from '../src/index';
import { fastParameters } from './fast-parameters';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const fixtures = argv[0] !== undefined && !argv[0].startsWith('--') ? argv[0] : 'packages/policy-onnx/src/__fixtures__';
const layers = Number(option('--layers') ?? 24);
const decodeSteps = Number(option('--steps') ?? 16);
const profileDirectory = option('--profile-dir') ?? join(tmpdir(), `policy-onnx-profile-${process.pid}`);
/** Generation and graph comparisons: float32 on every provider, so 1e-4 is a fair bound. */
const tolerance = 1e-4;
/** The training graphs against float64 PyTorch (as the GPU tests): looser, sums reassociate. */
const referenceTolerance = 2e-3;
const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
let failures = 0;
const result = (provider: string, check: string, pass: boolean, detail: string) => {
  if (!pass) failures++;
  log(`RESULT ${provider} ${check}: ${detail} ${verdict(pass)}`);
};

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

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let index = 0; index < a.length; index++) worst = Math.max(worst, Math.abs(a[index]! - b[index]!));
  return worst;
};

/** A random model whose norm weights and biases are not 1 and 0, so the fused kernels' use of them shows. */
function perturbedModel(config: DecoderConfig, seed: number) {
  const model = createRandomModel(config, { seed, initStd: 0.3 });
  let state = seed >>> 0;
  for (const [name, data] of model.parameters) {
    if (!name.endsWith('norm.weight') && !name.endsWith('.bias')) continue;
    for (let index = 0; index < data.length; index++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[index] = (name.endsWith('.bias') ? 0 : 1) + (state / 4294967296 - 0.5) * 0.4;
    }
  }
  return model;
}

/**
 * Whether the provider starts and runs the plain (unfused) inference graph of a tiny model, so that a
 * problem of the fused kernels shows in their own check instead of hiding the provider.
 */
async function probe(provider: ExecutionProvider): Promise<string | undefined> {
  const config = tinyConfig();
  try {
    const session = await inferenceSession(config, createRandomModel(config, { seed: 1 }).parameters, provider, false);
    await runSession(session, inferenceFeeds(config, 2, 3, 2, 1));
    await session.release();
    return undefined;
  } catch (error) {
    return String(error).split('\n')[0];
  }
}

async function referenceCheck(provider: ExecutionProvider): Promise<void> {
  const model = await loadModelDirectory(join(fixtures, 'tiny-qwen2-reference'));
  const fixture = JSON.parse(await readFile(join(fixtures, 'tiny-qwen2-reference.json'), 'utf8')) as {
    inputIds: number[];
    attentionMask: number[];
    batch: number;
    sequence: number;
    logprobs: number[];
    gradLogprobs: number[];
    gradEntropies: number[];
    gradients: Record<string, number[]>;
  };
  const training = new DecoderTraining(model.config, model.parameters, { executionProvider: provider });
  const batch = {
    inputIds: Int32Array.from(fixture.inputIds),
    attentionMask: Uint8Array.from(fixture.attentionMask),
    batch: fixture.batch,
    length: fixture.sequence,
  };
  const { logprobs, gradients } = await training.backward(batch, {
    gradLogprobs: Float32Array.from(fixture.gradLogprobs),
    gradEntropies: Float32Array.from(fixture.gradEntropies),
  });
  const valid = fixture.attentionMask.flatMap((_, index) =>
    index % fixture.sequence === 0 ? [] : [fixture.attentionMask[index]!],
  );
  let logprobError = 0;
  fixture.logprobs.forEach(
    (value, index) => (logprobError = Math.max(logprobError, Math.abs(logprobs[index]! - value * valid[index]!))),
  );
  let gradientError = 0;
  for (const [name, expected] of Object.entries(fixture.gradients)) {
    const actual = gradients.get(name)!;
    const scale = Math.max(1, ...expected.map(Math.abs));
    expected.forEach(
      (value, index) => (gradientError = Math.max(gradientError, Math.abs(actual[index]! - value) / scale)),
    );
  }
  await training.release();
  result(
    provider,
    'reference (training graphs vs PyTorch)',
    Math.max(logprobError, gradientError) < referenceTolerance,
    `max |logprob - torch| ${logprobError.toExponential(2)}, max relative gradient error ${gradientError.toExponential(2)}`,
  );
}

/**
 * Generation through the policy (on a GPU provider its weights are initializers): two calls, the second
 * extending the first's contexts (pool prefix reuse, decode buffers growing past their capacity), on the
 * provider and on the CPU. Greedy ids must equal the CPU's; every generation logprob must equal the
 * training graph's logprob of the same token (a full recompute, unfused, on the same provider).
 */
async function decodeCheck(
  provider: ExecutionProvider,
  fusedOps: boolean,
  prefillChunkTokens: number | undefined,
): Promise<void> {
  const config = tinyConfig({ vocabSize: 64 });
  const model = perturbedModel(config, 3);
  const tokenizer = plainTokenizer(64);
  const onProvider = await createOnnxPolicy({
    model,
    tokenizer,
    executionProvider: provider,
    fusedOps,
    prefillChunkTokens,
  });
  const cpu = await createOnnxPolicy({ model, tokenizer, executionProvider: 'cpu' });
  const label = `generate (${fusedOps ? 'fused' : 'unfused'} graph${prefillChunkTokens === undefined ? '' : `, ${prefillChunkTokens}-token prefill chunks`})`;
  const greedy = (inputIds: number[], maxNewTokens: number) => ({
    inputIds,
    maxNewTokens,
    sampling: { temperature: 0 },
    logprobs: true,
  });
  const first = [
    greedy([5, 9, 1, 33, 2, 7], 24),
    greedy([12], 30),
    greedy([5, 9, 1, 40], 20),
    greedy([5, 9, 1, 33, 2, 7], 24),
    greedy([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7], 16),
  ];
  try {
    const idsOf = (results: { outputIds: number[] }[]) => results.map((entry) => entry.outputIds.join(' ')).join(' | ');
    // One run at a time: concurrent runs of two sessions on one GPU device are not what is checked here.
    const inTurn = async (requests: typeof first) => [
      await onProvider.generate(requests),
      await cpu.generate(requests),
    ];
    const [mine, reference] = (await inTurn(first)) as [GenerateResult[], GenerateResult[]];
    log(`${label}: first call done`);
    // The second call extends each context by its output and three more tokens: pool prefixes reused.
    const second = first.map((request, index) =>
      greedy([...request.inputIds, ...reference[index]!.outputIds, 3, 4, 5], 40 - index * 5),
    );
    const secondRuns = await inTurn(second);
    const sameIds = idsOf(mine) === idsOf(reference) && idsOf(secondRuns[0]!) === idsOf(secondRuns[1]!);
    let logprobError = 0;
    let cpuLogprobError = 0;
    const requests = [...first, ...second];
    const results = [...mine, ...secondRuns[0]!];
    const cpuResults = [...reference, ...secondRuns[1]!];
    for (const [index, request] of requests.entries()) {
      const generated = results[index]!;
      const ids = [...request.inputIds, ...generated.outputIds];
      const { logprobs } = await onProvider.scoreTokens({
        inputIds: Int32Array.from(ids),
        attentionMask: new Uint8Array(ids.length).fill(1),
        batch: 1,
        length: ids.length,
      });
      generated.logprobs!.forEach(
        (value, position) =>
          (logprobError = Math.max(logprobError, Math.abs(value - logprobs[request.inputIds.length - 1 + position]!))),
      );
      cpuLogprobError = Math.max(cpuLogprobError, maxAbsDiff(generated.logprobs!, cpuResults[index]!.logprobs!));
    }
    const reused = onProvider.statistics.reusedTokens;
    result(
      provider,
      `${label} ids`,
      sameIds,
      `greedy ids equal the CPU's: ${sameIds}; ${results.reduce((sum, entry) => sum + entry.outputIds.length, 0)} tokens in 10 sequences, ${onProvider.statistics.decodeSteps} decode steps, ${reused} context tokens reused from the pool`,
    );
    result(
      provider,
      `${label} logprobs`,
      logprobError < tolerance && cpuLogprobError < tolerance && reused > 0,
      `generation vs training-graph logprobs max diff ${logprobError.toExponential(2)}; vs the CPU's generation logprobs ${cpuLogprobError.toExponential(2)} (bound ${tolerance})`,
    );
  } finally {
    for (const policy of [onProvider, cpu]) await policy.release();
  }
}

/**
 * Feeds of one inference run: `rows` rows, `past` cache slots (row r's last r slots are padding, or all
 * of them with `pastMasked`), `fresh` new tokens.
 */
function inferenceFeeds(
  config: DecoderConfig,
  rows: number,
  past: number,
  fresh: number,
  seed: number,
  pastMasked = false,
): Record<string, FeedTensor> {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0), state / 4294967296);
  const width = past + fresh;
  const mask = new BigInt64Array(rows * width);
  const positions = new BigInt64Array(rows * fresh);
  for (let row = 0; row < rows; row++) {
    const real = pastMasked ? 0 : Math.max(0, past - (row % Math.max(1, past)));
    for (let slot = 0; slot < width; slot++) mask[row * width + slot] = slot < real || slot >= past ? 1n : 0n;
    for (let token = 0; token < fresh; token++) positions[row * fresh + token] = BigInt(real + token);
  }
  const feeds: Record<string, FeedTensor> = {
    input_ids: {
      data: BigInt64Array.from({ length: rows * fresh }, () => BigInt(Math.floor(next() * config.vocabSize))),
      dims: [rows, fresh],
    },
    position_ids: { data: positions, dims: [rows, fresh] },
    attention_mask: { data: mask, dims: [rows, width] },
  };
  const cacheSize = rows * config.numKeyValueHeads * past * config.headDim;
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const names = pastKeyValueNames(layer);
    for (const name of [names.key, names.value]) {
      feeds[name] = {
        data: Float32Array.from({ length: cacheSize }, () => next() * 2 - 1),
        dims: [rows, config.numKeyValueHeads, past, config.headDim],
      };
    }
  }
  return feeds;
}

async function inferenceSession(
  config: DecoderConfig,
  parameters: Map<string, Float32Array>,
  provider: ExecutionProvider,
  fusedOps: boolean,
): Promise<OnnxSession> {
  const { model, externalData } = buildInferenceGraph(config, {
    initializers: parameters,
    fusedOps,
  }).serializeWithExternalData({ thresholdBytes: 1024 });
  return createSession(model, { executionProvider: provider, externalData: [...externalData] });
}

/** One inference run of the fused or unfused graph (weights as initializers) on the provider against the CPU's unfused graph. */
async function graphCase(provider: ExecutionProvider, fusedOps: boolean, past: number): Promise<void> {
  const config = tinyConfig({
    vocabSize: 96,
    hiddenSize: 64,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    intermediateSize: 96,
  });
  const { parameters } = perturbedModel(config, 11);
  const feeds = inferenceFeeds(config, 2, past, 4, 7 + past);
  const session = await inferenceSession(config, parameters, provider, fusedOps);
  const reference = await inferenceSession(config, parameters, 'cpu', false);
  try {
    log(`graph ${fusedOps ? 'fused' : 'unfused'} past ${past}: session created`);
    const mine = await runSession(session, feeds);
    const expected = await runSession(reference, feeds);
    let worst = 0;
    for (const name of Object.keys(expected))
      worst = Math.max(worst, maxAbsDiff(mine[name]!.data, expected[name]!.data));
    result(
      provider,
      `graph ${fusedOps ? 'fused' : 'unfused'}, 2 rows x (${past} past slots + 4 new)`,
      worst < tolerance,
      `max diff vs the CPU's unfused graph ${worst.toExponential(2)}`,
    );
  } finally {
    await session.release();
    await reference.release();
  }
}

/** The fused and the unfused inference graph on the same feeds, on the provider and (unfused) on the CPU. */
async function fusedCheck(provider: ExecutionProvider): Promise<void> {
  const config = tinyConfig({
    vocabSize: 96,
    hiddenSize: 64,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    intermediateSize: 96,
  });
  const { parameters } = perturbedModel(config, 11);
  const sessions = {
    fused: await inferenceSession(config, parameters, provider, true),
    unfused: await inferenceSession(config, parameters, provider, false),
    cpu: await inferenceSession(config, parameters, 'cpu', false),
  };
  try {
    const details: string[] = [];
    let worst = 0;
    // A prefill has one masked past slot, as the policy feeds it (an empty cache crashes webgpu).
    for (const [label, rows, past, fresh, pastMasked] of [
      ['prefill 3x(1 masked + 7)', 3, 1, 7, true],
      ['decode 4x(9+1)', 4, 9, 1, false],
      ['suffix 2x(5+4)', 2, 5, 4, false],
    ] as const) {
      const feeds = inferenceFeeds(config, rows, past, fresh, rows * 100 + past, pastMasked);
      const fused = await runSession(sessions.fused, feeds);
      const unfused = await runSession(sessions.unfused, feeds);
      const cpu = await runSession(sessions.cpu, feeds);
      const names = [
        'logits',
        ...Array.from({ length: config.numHiddenLayers }, (_, layer) => Object.values(newKeyValueNames(layer))).flat(),
      ];
      let fusedVsUnfused = 0;
      let fusedVsCpu = 0;
      for (const name of names) {
        fusedVsUnfused = Math.max(fusedVsUnfused, maxAbsDiff(fused[name]!.data, unfused[name]!.data));
        fusedVsCpu = Math.max(fusedVsCpu, maxAbsDiff(fused[name]!.data, cpu[name]!.data));
      }
      worst = Math.max(worst, fusedVsUnfused, fusedVsCpu);
      details.push(
        `${label}: fused vs unfused ${fusedVsUnfused.toExponential(2)}, fused vs CPU unfused ${fusedVsCpu.toExponential(2)}`,
      );
    }
    result(
      provider,
      'fused vs unfused inference graph (logits and new keys/values)',
      worst < tolerance,
      details.join('; '),
    );
  } finally {
    for (const session of Object.values(sessions)) await session.release();
  }
}

interface PlacementSummary {
  nodes: Map<string, { count: number; microseconds: number; ops: Map<string, number> }>;
}

/**
 * Runs the graph once with onnxruntime's profiler on and reads, from the profile, on which provider
 * each node ran and for how long (onnxruntime-node's profiler writes `<prefix>_<date>.json`).
 */
async function profiledPlacement(
  label: string,
  bytes: Uint8Array,
  externalData: ReadonlyArray<{ path: string; data: Uint8Array }>,
  provider: ExecutionProvider,
  feeds: Record<string, FeedTensor>,
  runs: number,
): Promise<PlacementSummary> {
  const directory = join(profileDirectory, label);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    enableProfiling: true,
    profileFilePrefix: join(directory, 'profile'),
    externalData: externalData.map(({ path, data }) => ({ path, data })),
  });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) {
    ortFeeds[name] =
      feed.data instanceof BigInt64Array
        ? new ort.Tensor('int64', feed.data, [...feed.dims])
        : new ort.Tensor('float32', feed.data as Float32Array, [...feed.dims]);
  }
  for (let run = 0; run < runs; run++) await session.run(ortFeeds);
  session.endProfiling();
  await session.release();
  const file = readdirSync(directory).find((name) => name.endsWith('.json'));
  if (file === undefined) throw new Error(`no profile written in ${directory}`);
  const events = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Array<{
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string; provider?: string };
  }>;
  const nodes = new Map<string, { count: number; microseconds: number; ops: Map<string, number> }>();
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || event.args?.provider === undefined) continue;
    const entry = nodes.get(event.args.provider) ?? { count: 0, microseconds: 0, ops: new Map<string, number>() };
    entry.count++;
    entry.microseconds += event.dur;
    const op = event.args.op_name ?? '?';
    entry.ops.set(op, (entry.ops.get(op) ?? 0) + 1);
    nodes.set(event.args.provider, entry);
  }
  return { nodes };
}

function describePlacement(summary: PlacementSummary, runs: number, opLimit: number): string {
  return [...summary.nodes.entries()]
    .map(([provider, { count, microseconds, ops }]) => {
      const top = [...ops.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, opLimit)
        .map(([op, n]) => `${op}×${n / runs}`);
      return `${provider}: ${count / runs} nodes/run, ${(microseconds / runs / 1000).toFixed(2)} ms/run [${top.join(' ')}${ops.size > opLimit ? ' …' : ''}]`;
    })
    .join('; ');
}

/** Where onnxruntime places the fused graph's nodes on the provider (tiny model, then the 0.5B shapes with 2 layers). */
async function placementCheck(provider: ExecutionProvider): Promise<void> {
  const tiny = tinyConfig({
    vocabSize: 96,
    hiddenSize: 64,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    intermediateSize: 96,
  });
  const { parameters } = perturbedModel(tiny, 11);
  for (const fusedOps of [true, false]) {
    const { model, externalData } = buildInferenceGraph(tiny, {
      initializers: parameters,
      fusedOps,
    }).serializeWithExternalData({ thresholdBytes: 1024 });
    const summary = await profiledPlacement(
      `tiny-${fusedOps ? 'fused' : 'unfused'}`,
      model,
      externalData,
      provider,
      inferenceFeeds(tiny, 4, 9, 1, 5),
      1,
    );
    const contribOps = ['SimplifiedLayerNormalization', 'RotaryEmbedding'];
    const onCpu = provider === 'cpu' ? [] : [...(summary.nodes.get('CPUExecutionProvider')?.ops.keys() ?? [])];
    log(
      `PLACEMENT ${provider} tiny ${fusedOps ? 'fused' : 'unfused'} decode step: ${describePlacement(summary, 1, 40)}`,
    );
    if (fusedOps) {
      const fallen = contribOps.filter((op) => onCpu.includes(op));
      log(
        `RESULT ${provider} fused ops placement: ${fallen.length === 0 ? 'SimplifiedLayerNormalization and RotaryEmbedding run on the provider' : `on the CPU provider: ${fallen.join(', ')}`}; every op type on the CPU provider: ${onCpu.join(', ') || 'none'} INFO`,
      );
    }
  }
  const shape = { ...qwen2_5_0_5bConfig(), numHiddenLayers: 2 };
  const weights = fastParameters(shape);
  for (const [label, rows, past] of [
    ['batch 1', 1, 48],
    ['batch 16', 16, 48],
  ] as const) {
    const { model, externalData } = buildInferenceGraph(shape, {
      initializers: weights,
      fusedOps: true,
    }).serializeWithExternalData({ thresholdBytes: 1024 });
    const summary = await profiledPlacement(
      `half-b${rows}`,
      model,
      externalData,
      provider,
      inferenceFeeds(shape, rows, past, 1, 9),
      4,
    );
    log(
      `PLACEMENT ${provider} 0.5B shapes, 2 layers, fused, decode step ${label} (${past} past slots), mean of 4 runs: ${describePlacement(summary, 4, 12)}`,
    );
  }
}

/** Runs of one decode step of a graph, alternating between sessions; returns the mean ms per step of each. */
async function alternate(
  sessions: OnnxSession[],
  feeds: Record<string, FeedTensor>,
  runsPerRound: number,
  rounds: number,
): Promise<number[]> {
  for (const session of sessions) await runSession(session, feeds);
  const totals = sessions.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [index, session] of sessions.entries()) {
      const start = performance.now();
      for (let run = 0; run < runsPerRound; run++) await runSession(session, feeds);
      totals[index]! += performance.now() - start;
    }
  }
  return totals.map((total) => total / (runsPerRound * rounds));
}

async function throughput(
  provider: ExecutionProvider,
  parameters: Map<string, Float32Array>,
  config: DecoderConfig,
  fusedOps: boolean,
): Promise<void> {
  let start = performance.now();
  const policy = await createOnnxPolicy({
    model: { config, parameters },
    tokenizer: plainTokenizer(config.vocabSize),
    executionProvider: provider,
    maxTokensPerRun: 1024,
    fusedOps,
  });
  const createMs = performance.now() - start;
  let call = 0;
  // Every call's prompts are new (first token = call number), so nothing comes from the pool and the
  // generation session is never rebuilt: the two timed calls differ by the decode steps alone.
  const time = async (batch: number, tokens: number) => {
    call++;
    const prompt = Array.from({ length: 32 }, (_, index) =>
      index === 0 ? 1000 + call : (17 + 31 * index) % config.vocabSize,
    );
    const begin = performance.now();
    await policy.generate(
      Array.from({ length: batch }, (_, index) => ({
        inputIds: [...prompt, index],
        maxNewTokens: tokens,
        sampling: { temperature: 1, seed: index },
      })),
    );
    return performance.now() - begin;
  };
  const rates: string[] = [];
  for (const batch of [1, 16]) {
    await time(batch, 2);
    for (let repeat = 0; repeat < 2; repeat++) {
      const one = await time(batch, 1);
      const many = await time(batch, 1 + decodeSteps);
      const stepMs = (many - one) / decodeSteps;
      rates.push(
        `batch ${batch}: ${((1000 * batch) / stepMs).toFixed(1)} tok/s (${stepMs.toFixed(1)} ms/step; prefill+1 token ${one.toFixed(0)} ms)`,
      );
    }
  }
  log(
    `RESULT ${provider} 0.5B-shape (${config.numHiddenLayers} layers, ${fusedOps ? 'fused' : 'unfused'} graph) decode through the policy, ${decodeSteps} steps after a 33-token prefill: ${rates.join(', ')}; policy created in ${createMs.toFixed(0)} ms; reused tokens ${policy.statistics.reusedTokens} INFO`,
  );
  const [rows, sequence] = [1, 256];
  const inputIds = Int32Array.from({ length: rows * sequence }, (_, index) => (index * 7919) % config.vocabSize);
  const upstream = { gradLogprobs: new Float32Array(rows * (sequence - 1)).fill(1e-3) };
  const tokenBatch = {
    inputIds,
    attentionMask: new Uint8Array(rows * sequence).fill(1),
    batch: rows,
    length: sequence,
  };
  await policy.backward(tokenBatch, upstream);
  start = performance.now();
  await policy.backward(tokenBatch, upstream);
  const trainMs = performance.now() - start;
  const flops = 3 * 2 * decoderParameterCount(config) * rows * sequence;
  await policy.release();
  log(
    `RESULT ${provider} 0.5B-shape forward+backward ${rows}x${sequence}: ${trainMs.toFixed(0)} ms, ${((1000 * rows * sequence) / trainMs).toFixed(0)} tok/s, ~${(flops / trainMs / 1e6).toFixed(0)} GFLOP/s INFO`,
  );
}

/** One decode step of the fused and the unfused 0.5B inference graph (weights as initializers), alternating. */
async function fusedSpeed(
  provider: ExecutionProvider,
  parameters: Map<string, Float32Array>,
  config: DecoderConfig,
): Promise<void> {
  const sessions: Array<{ label: string; session: OnnxSession }> = [];
  for (const fusedOps of [true, false]) {
    const label = fusedOps ? 'fused' : 'unfused';
    const start = performance.now();
    try {
      sessions.push({ label, session: await inferenceSession(config, parameters, provider, fusedOps) });
      log(
        `${label} 0.5B-shape inference session on ${provider} created in ${(performance.now() - start).toFixed(0)} ms`,
      );
    } catch (error) {
      failures++;
      log(
        `RESULT ${provider} ${label} 0.5B-shape inference session: ERROR ${String(error).split('\n').slice(0, 3).join(' / ')}`,
      );
    }
  }
  try {
    const lines: string[] = [];
    for (const rows of [1, 16]) {
      const feeds = inferenceFeeds(config, rows, 64, 1, 21);
      const times = await alternate(
        sessions.map(({ session }) => session),
        feeds,
        10,
        2,
      );
      lines.push(
        `batch ${rows}: ${sessions.map(({ label }, index) => `${label} ${times[index]!.toFixed(1)} ms`).join(', ')}${times.length === 2 ? ` (unfused/fused ${(times[1]! / times[0]!).toFixed(2)}×)` : ''}`,
      );
    }
    log(
      `RESULT ${provider} 0.5B-shape (${config.numHiddenLayers} layers) one decode step over 64 cache slots (weights as initializers), 2×10 alternating runs: ${lines.join('; ')} INFO`,
    );
  } finally {
    for (const { session } of sessions) await session.release();
  }
}

const guard = async (provider: string, check: string, body: () => Promise<void>) => {
  try {
    await body();
  } catch (error) {
    failures++;
    log(`RESULT ${provider} ${check}: ERROR ${String(error).split('\n').slice(0, 3).join(' / ')}`);
  }
};

const stage = option('--stage');
const parametersOf = (() => {
  let made: Map<string, Float32Array> | undefined;
  return (config: DecoderConfig) => {
    if (made === undefined) {
      const start = performance.now();
      made = fastParameters(config);
      log(
        `0.5B-shape parameters (${config.numHiddenLayers} layers) made in ${(performance.now() - start).toFixed(0)} ms`,
      );
    }
    return made;
  };
})();
const halfConfig = { ...qwen2_5_0_5bConfig(), numHiddenLayers: layers };

/** One stage, in this process (the parent runs each in a child, so that a crash ends that stage only). */
async function runStage(name: string): Promise<void> {
  const [kind, provider, ...rest] = name.split(':') as [string, ExecutionProvider, ...string[]];
  const fusedOps = !rest.includes('unfused');
  const past = rest.find((part) => part.startsWith('past'));
  const chunk = rest.find((part) => part.startsWith('chunk'));
  if (kind === 'graph') await graphCase(provider, fusedOps, Number(past?.slice(4) ?? 3));
  else if (kind === 'reference') await referenceCheck(provider);
  else if (kind === 'generate')
    await decodeCheck(provider, fusedOps, chunk === undefined ? undefined : Number(chunk.slice(5)));
  else if (kind === 'compare') await fusedCheck(provider);
  else if (kind === 'placement') await placementCheck(provider);
  else if (kind === 'throughput') await throughput(provider, parametersOf(halfConfig), halfConfig, fusedOps);
  else if (kind === 'speed') await fusedSpeed(provider, parametersOf(halfConfig), halfConfig);
  else throw new Error(`unknown stage ${name}`);
}

if (stage !== undefined) {
  await guard(stage, 'stage', () => runStage(stage));
  process.exit(failures === 0 ? 0 : 1);
}

log(
  `node ${process.version}, onnxruntime-node ${ort.env.versions.common}; lists: ${listExecutionProviders()
    .map(({ name, bundled }) => `${name}${bundled ? '' : ' (not bundled)'}`)
    .join(', ')}`,
);
const working: ExecutionProvider[] = [];
for (const provider of ['cpu', 'webgpu', 'cuda'] as ExecutionProvider[]) {
  const problem = await probe(provider);
  log(`PROVIDER ${provider}: ${problem === undefined ? 'starts' : `does not start — ${problem}`}`);
  if (problem === undefined) working.push(provider);
}
const stageStatus = new Map<string, boolean>();
/** Runs a stage in a child process (same script, same options); a crash or failure is reported, not fatal. */
const inChild = (name: string, knownCrash = false): boolean => {
  const start = performance.now();
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...argv, '--stage', name], {
    stdio: 'inherit',
  });
  const ok = child.status === 0;
  const known = knownCrash && child.signal === 'SIGSEGV';
  if (!ok && !known) failures++;
  const how = ok
    ? 'ok'
    : child.signal !== null
      ? `CRASHED (${child.signal})${known ? ' — known: onnxruntime-node 1.30 webgpu crashes on an empty past cache; the policy never feeds one' : ''}`
      : `exit ${child.status}`;
  log(`STAGE ${name}: ${how} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  stageStatus.set(name, ok);
  return ok;
};
/** `--stages a,b`: only these check stages (names without the provider, e.g. `compare,generate:fused`). */
const selected = option('--stages')?.split(',');
const checked =
  (option('--check')?.split(',') as ExecutionProvider[] | undefined) ?? working.filter((name) => name !== 'cpu');
for (const provider of checked.filter((name) => working.includes(name))) {
  for (const name of [
    'graph:unfused:past3',
    'graph:unfused:past0',
    'graph:fused:past3',
    'graph:fused:past0',
    'reference',
    'generate:fused',
    'generate:unfused',
    'generate:fused:chunk3',
    'compare',
    'placement',
  ]) {
    const [kind, ...rest] = name.split(':');
    if (selected !== undefined && !selected.includes(name)) continue;
    inChild([kind, provider, ...rest].join(':'), name.endsWith('past0') && provider === 'webgpu');
  }
}
const throughputProviders = option('--throughput')?.split(',') ?? working;
const timed = argv.includes('--no-throughput')
  ? []
  : throughputProviders.filter((name): name is ExecutionProvider => working.includes(name as ExecutionProvider));
for (const provider of timed) {
  // The fused graph unless its generation failed on this provider.
  const fusedFailed = stageStatus.get(`generate:${provider}:fused`) === false;
  inChild(`throughput:${provider}:${fusedFailed ? 'unfused' : 'fused'}`);
  if (provider !== 'cpu' || argv.includes('--cpu-speed')) inChild(`speed:${provider}`);
}
log(`DONE: ${failures} failed stage(s)`);
// Exits explicitly: a GPU provider's device threads can keep the process alive.
process.exit(failures === 0 ? 0 : 1);
