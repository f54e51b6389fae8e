// A self-contained GPU check that needs no test runner (it bundles into one file with esbuild, for a
// machine that has only node and onnxruntime-node): which providers start; on each GPU provider, the
// training graphs against the PyTorch reference fixture, KV-cached greedy decoding against the CPU,
// and decode / forward+backward throughput of a Qwen2.5-0.5B-shaped random model beside the CPU's.
//   node --conditions=@research-ts/source --import tsx tools/gpu-smoke.ts [fixtureDirectory] [--layers N] [--no-throughput | --throughput webgpu,cpu]
import type { Tokenizer } from '@research-ts/spec';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createOnnxPolicy,
  createRandomModel,
  decoderParameterCount,
  DecoderTraining,
  listExecutionProviders,
  loadModelDirectory,
  qwen2_5_0_5bConfig,
  tinyConfig,
  type DecoderConfig,
  type ExecutionProvider,
} from '../src/index';
import { fastParameters } from './fast-parameters';

const argv = process.argv.slice(2);
const fixtures = argv[0] !== undefined && !argv[0].startsWith('--') ? argv[0] : 'packages/policy-onnx/src/__fixtures__';
const layersIndex = argv.indexOf('--layers');
const layers = layersIndex >= 0 ? Number(argv[layersIndex + 1]) : 24;
const log = (line: string) => console.log(line);

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

async function probe(provider: ExecutionProvider): Promise<string | undefined> {
  const config = tinyConfig();
  try {
    const policy = await createOnnxPolicy({ model: createRandomModel(config, { seed: 1 }), tokenizer: plainTokenizer(config.vocabSize), executionProvider: provider });
    await policy.generate([{ inputIds: [1, 2, 3], maxNewTokens: 3, sampling: { temperature: 0 } }]);
    await policy.release();
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
  const batch = { inputIds: fixture.inputIds, attentionMask: fixture.attentionMask, batch: fixture.batch, seq: fixture.sequence };
  const { logprobs, gradients } = await training.backward(batch, { gradLogprobs: Float32Array.from(fixture.gradLogprobs), gradEntropies: Float32Array.from(fixture.gradEntropies) });
  const valid = fixture.attentionMask.flatMap((_, index) => (index % fixture.sequence === 0 ? [] : [fixture.attentionMask[index]!]));
  let logprobError = 0;
  fixture.logprobs.forEach((value, index) => (logprobError = Math.max(logprobError, Math.abs(logprobs[index]! - value * valid[index]!))));
  let gradientError = 0;
  for (const [name, expected] of Object.entries(fixture.gradients)) {
    const actual = gradients.get(name)!;
    const scale = Math.max(1, ...expected.map(Math.abs));
    expected.forEach((value, index) => (gradientError = Math.max(gradientError, Math.abs(actual[index]! - value) / scale)));
  }
  await training.release();
  log(`RESULT ${provider} reference: max |logprob - torch| ${logprobError.toExponential(2)}, max relative gradient error ${gradientError.toExponential(2)} ${Math.max(logprobError, gradientError) < 2e-3 ? 'PASS' : 'FAIL'}`);
}

async function decodeCheck(provider: ExecutionProvider): Promise<void> {
  const config = tinyConfig({ vocabSize: 64 });
  const model = createRandomModel(config, { seed: 3, initStd: 0.5 });
  const gpu = await createOnnxPolicy({ model, tokenizer: plainTokenizer(64), executionProvider: provider });
  const cpu = await createOnnxPolicy({ model, tokenizer: plainTokenizer(64), executionProvider: 'cpu' });
  const requests = [
    { inputIds: [5, 9, 1, 33, 2, 7], maxNewTokens: 24, sampling: { temperature: 0 }, logprobs: true },
    { inputIds: [12], maxNewTokens: 24, sampling: { temperature: 0 }, logprobs: true },
  ];
  const onGpu = await gpu.generate(requests);
  const onCpu = await cpu.generate(requests);
  const same = onGpu.every((result, index) => result.outputIds.join() === onCpu[index]!.outputIds.join());
  const ids = [...requests[0]!.inputIds, ...onGpu[0]!.outputIds];
  const { logprobs } = await gpu.computeLogprobs({ inputIds: ids, batch: 1, seq: ids.length });
  let error = 0;
  onGpu[0]!.logprobs!.forEach((value, index) => (error = Math.max(error, Math.abs(value - logprobs[requests[0]!.inputIds.length - 1 + index]!))));
  await gpu.release();
  await cpu.release();
  log(`RESULT ${provider} decode: batched greedy ids equal the CPU's: ${same}; KV-cache vs training-graph logprobs max diff ${error.toExponential(2)} ${same && error < 2e-3 ? 'PASS' : 'FAIL'}`);
}

async function throughput(provider: ExecutionProvider, parameters: Map<string, Float32Array>, config: DecoderConfig): Promise<void> {
  const policy = await createOnnxPolicy({ model: { config, parameters }, tokenizer: plainTokenizer(config.vocabSize), executionProvider: provider, maxTokensPerRun: 1024 });
  const prompt = Array.from({ length: 32 }, (_, index) => (17 + 31 * index) % config.vocabSize);
  const time = async (batch: number, tokens: number) => {
    policy.clearCache();
    const start = performance.now();
    await policy.generate(Array.from({ length: batch }, (_, index) => ({ inputIds: [...prompt, index], maxNewTokens: tokens, sampling: { temperature: 1, seed: index } })));
    return performance.now() - start;
  };
  const steps = 8;
  const rates: string[] = [];
  for (const batch of [1, 16]) {
    await time(batch, 2);
    const stepMs = ((await time(batch, 1 + steps)) - (await time(batch, 1))) / steps;
    rates.push(`batch ${batch}: ${((1000 * batch) / stepMs).toFixed(2)} tok/s (${stepMs.toFixed(0)} ms/step)`);
  }
  const [rows, sequence] = [1, 256];
  const inputIds = Int32Array.from({ length: rows * sequence }, (_, index) => (index * 7919) % config.vocabSize);
  const upstream = { gradLogprobs: new Float32Array(rows * (sequence - 1)).fill(1e-3) };
  await policy.backward({ inputIds, batch: rows, seq: sequence }, upstream);
  const start = performance.now();
  await policy.backward({ inputIds, batch: rows, seq: sequence }, upstream);
  const trainMs = performance.now() - start;
  const flops = 3 * 2 * decoderParameterCount(config) * rows * sequence;
  await policy.release();
  log(`RESULT ${provider} 0.5B-shape (${config.numHiddenLayers} layers): decode ${rates.join(', ')}; forward+backward ${rows}x${sequence}: ${trainMs.toFixed(0)} ms, ${((1000 * rows * sequence) / trainMs).toFixed(0)} tok/s, ~${(flops / trainMs / 1e6).toFixed(0)} GFLOP/s`);
}

log(`onnxruntime-node lists: ${listExecutionProviders().map(({ name, bundled }) => `${name}${bundled ? '' : ' (not bundled)'}`).join(', ')}`);
const working: ExecutionProvider[] = [];
for (const provider of ['cpu', 'webgpu', 'cuda'] as ExecutionProvider[]) {
  const problem = await probe(provider);
  log(`PROVIDER ${provider}: ${problem === undefined ? 'starts' : `does not start — ${problem}`}`);
  if (problem === undefined) working.push(provider);
}
for (const provider of working.filter((name) => name !== 'cpu')) {
  await referenceCheck(provider).catch((error: unknown) => log(`RESULT ${provider} reference: ERROR ${String(error).split('\n')[0]}`));
  await decodeCheck(provider).catch((error: unknown) => log(`RESULT ${provider} decode: ERROR ${String(error).split('\n')[0]}`));
}
const config = { ...qwen2_5_0_5bConfig(), numHiddenLayers: layers };
const parameters = fastParameters(config);
const throughputIndex = argv.indexOf('--throughput');
const throughputProviders = throughputIndex >= 0 ? argv[throughputIndex + 1]!.split(',') : working;
for (const provider of argv.includes('--no-throughput') ? [] : working.filter((name) => throughputProviders.includes(name))) {
  await throughput(provider, parameters, config).catch((error: unknown) => log(`RESULT ${provider} throughput: ERROR ${String(error).split('\n')[0]}`));
}
log('DONE');
