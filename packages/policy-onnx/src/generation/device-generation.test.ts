// Generation with the KV cache on the device. On the cpu provider (always): the device algorithm
// (gathers, present caches, in-graph sampling, device pool) gives the host path's results. On webgpu
// (lavapipe on CI machines): the same tokens as the CPU policy across two turns with prefix reuse, seeded
// sampling included, and host↔device transfers per decode step independent of the number of layers.
import type { GenerateRequest, GenerateResult } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from '../__fixtures__/tiny-word-model';
import { createSession, transferCounters, type OnnxSession } from '../backend/onnxruntime';
import { tinyConfig } from '../model/decoder-config-presets';
import { webgpuSkipReason } from '../device/webgpu-available';
import { createOnnxPolicy, type OnnxPolicy } from '../onnx-policy';
import { createRandomModel } from '../model/random-model';
import { parameterFeeds } from '../training/decoder-training';
import { DeviceGeneration } from './device-generation';
import { buildDeviceStepGraph, deviceStepOutputNames } from './device-step';
import type { GenerationStatistics } from './generation-statistics';
import { createSequences } from './sequence';

const tokenizer = tinyWordTokenizer();
const prompts = tinyPromptTexts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
const follow = tokenizer.encode(' <result> the author is Ada </result>', { addSpecialTokens: false });

/** A second turn: each first-turn context, its output and a tool result. */
const nextTurn = (requests: readonly GenerateRequest[], results: readonly GenerateResult[]): GenerateRequest[] =>
  requests.map((request, index) => ({
    ...request,
    inputIds: [...request.inputIds, ...results[index]!.outputIds, ...follow],
  }));

/** Same ids; logprobs within `atol`. */
function expectSameGenerations(
  actual: readonly GenerateResult[],
  expected: readonly GenerateResult[],
  atol: number,
): void {
  expect(actual.map((result) => result.outputIds)).toEqual(expected.map((result) => result.outputIds));
  expect(actual.map((result) => result.finishReason)).toEqual(expected.map((result) => result.finishReason));
  actual.forEach((result, index) => {
    const reference = expected[index]!.logprobs!;
    result.logprobs!.forEach((value, position) =>
      expect(Math.abs(value - reference[position]!), `request ${index}, token ${position}`).toBeLessThan(atol),
    );
  });
}

describe('DeviceGeneration on the cpu provider', () => {
  const model = tinyWordModel(tokenizer);
  let host: OnnxPolicy;
  let session: OnnxSession;
  beforeAll(async () => {
    host = await createOnnxPolicy({ model, tokenizer, prefillChunkTokens: 5, threads: 1 });
    session = await createSession(buildDeviceStepGraph(model.config).serialize(), {
      executionProvider: 'cpu',
      intraOpNumThreads: 1,
      deviceOutputs: deviceStepOutputNames(model.config),
    });
  });
  afterAll(async () => {
    await host.release();
    await session.release();
  });
  const deviceGeneration = (statistics: GenerationStatistics, maxCacheBytes = 1 << 24) =>
    new DeviceGeneration({
      config: model.config,
      executionProvider: 'cpu',
      session: async () => session,
      parameterFeeds: () => parameterFeeds(model.config, model.parameters),
      statistics,
      maxCacheBytes,
      prefillChunkTokens: 5,
    });
  const generate = async (generation: DeviceGeneration, requests: readonly GenerateRequest[], signal?: AbortSignal) => {
    const sequences = createSequences(requests, tokenizer, model.config.vocabSize);
    await generation.generate(sequences, { signal });
    return sequences.map((sequence) => sequence.result!);
  };

  it('gives the host path results over two turns: chunked prefill, shared contexts, greedy, sampled, top-k/top-p and stop strings', async () => {
    const requests: GenerateRequest[] = [
      { inputIds: prompts[0]!, maxNewTokens: 9, sampling: { temperature: 0 }, logprobs: true },
      { inputIds: prompts[1]!, maxNewTokens: 7, sampling: { temperature: 1, seed: 5 }, logprobs: true },
      { inputIds: prompts[2]!, maxNewTokens: 12, sampling: { temperature: 0.8, topP: 0.9, seed: 6 }, logprobs: true },
      { inputIds: prompts[2]!, maxNewTokens: 6, sampling: { temperature: 1.3, topK: 4, seed: 7 }, logprobs: true },
      {
        inputIds: prompts[0]!,
        maxNewTokens: 10,
        sampling: { temperature: 1, seed: 8 },
        stopStrings: ['the'],
        logprobs: true,
      },
      { inputIds: prompts[1]!, maxNewTokens: 0, logprobs: true },
    ];
    const statistics: GenerationStatistics = { prefilledTokens: 0, reusedTokens: 0, decodeSteps: 0, decodedTokens: 0 };
    const generation = deviceGeneration(statistics);
    const before = { ...host.statistics };
    const first = await generate(generation, requests);
    expectSameGenerations(first, await host.generate(requests), 1e-4);
    const second = nextTurn(requests, first);
    const again = await generate(generation, second);
    expectSameGenerations(again, await host.generate(second), 1e-4);
    const hostCounts = Object.fromEntries(
      Object.entries(host.statistics).map(([name, value]) => [
        name,
        value - before[name as keyof GenerationStatistics],
      ]),
    );
    expect(statistics).toEqual(hostCounts);
    expect(statistics.reusedTokens).toBeGreaterThan(0);
    await generation.release();
  });

  it('an abort mid-decode throws and leaves the generation usable; a tiny pool only costs reuse', async () => {
    const statistics: GenerationStatistics = { prefilledTokens: 0, reusedTokens: 0, decodeSteps: 0, decodedTokens: 0 };
    const generation = deviceGeneration(statistics, 4096);
    const requests: GenerateRequest[] = prompts.map((inputIds) => ({
      inputIds,
      maxNewTokens: 8,
      sampling: { temperature: 0 },
      stopTokenIds: [],
      logprobs: true,
    }));
    const controller = new AbortController();
    const sequences = createSequences(requests, tokenizer, model.config.vocabSize);
    const pending = generation.generate(sequences, { signal: controller.signal, onText: () => controller.abort() });
    await expect(pending).rejects.toThrow();
    expectSameGenerations(await generate(generation, requests), await host.generate(requests), 1e-4);
    expect(generation.cachedBytes).toBeLessThanOrEqual(4096);
    await generation.release();
  });
});

// Skipped, with the reason in the title, only where the webgpu provider cannot start (no Vulkan driver); under
// CI=true webgpuSkipReason throws instead, so CI always runs these tests (its setup installs lavapipe).
const skip = await webgpuSkipReason();
const webgpu = skip === undefined ? describe : describe.skip;

webgpu(
  `generation on webgpu with the cache on the device${skip === undefined ? '' : ` — skipped: webgpu does not start here: ${skip.slice(0, 200)}`}`,
  () => {
    let gpu: OnnxPolicy;
    let cpu: OnnxPolicy;
    beforeAll(async () => {
      gpu = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: 'webgpu' });
      cpu = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: 'cpu' });
    });
    afterAll(async () => {
      await gpu?.release();
      await cpu?.release();
    });

    it('greedy: the CPU ids and logprobs (atol 1e-4) for prompts of different lengths over two turns, the second reusing the first', async () => {
      const requests: GenerateRequest[] = prompts.map((inputIds, index) => ({
        inputIds,
        maxNewTokens: 6 + 3 * index,
        sampling: { temperature: 0 },
        logprobs: true,
      }));
      const first = await gpu.generate(requests);
      expectSameGenerations(first, await cpu.generate(requests), 1e-4);
      const reused = gpu.statistics.reusedTokens;
      const second = nextTurn(requests, first);
      expectSameGenerations(await gpu.generate(second), await cpu.generate(second), 1e-4);
      // each second context reuses its first context and all its output but the last token (sampled, never fed)
      expect(gpu.statistics.reusedTokens - reused).toBe(
        requests.reduce(
          (total, request, index) => total + request.inputIds.length + first[index]!.outputIds.length - 1,
          0,
        ),
      );
    });

    it('seeded sampling: the CPU ids and logprobs (atol 1e-4) at temperature 1, and with top-p/top-k (drawn on the host)', async () => {
      const requests: GenerateRequest[] = [
        ...prompts.map((inputIds, index) => ({
          inputIds,
          maxNewTokens: 10,
          sampling: { temperature: 1, seed: 40 + index },
          logprobs: true,
        })),
        {
          inputIds: prompts[0]!,
          maxNewTokens: 8,
          sampling: { temperature: 1, topP: 0.8, topK: 6, seed: 9 },
          logprobs: true,
        },
      ];
      expectSameGenerations(await gpu.generate(requests), await cpu.generate(requests), 1e-4);
    });

    it('after an update applied on the device, generation follows it: weights fed from the device, or as initializers rebuilt from it', async () => {
      const baked = await createOnnxPolicy({
        model: tinyWordModel(tokenizer),
        tokenizer,
        executionProvider: 'webgpu',
        inferenceWeights: 'initializers',
      });
      try {
        const rows = prompts.slice(0, 2);
        const length = Math.max(...rows.map((row) => row.length));
        const inputIds = new Int32Array(rows.length * length);
        const attentionMask = new Uint8Array(rows.length * length);
        rows.forEach((row, b) =>
          row.forEach((id, t) => ((inputIds[b * length + t] = id), (attentionMask[b * length + t] = 1))),
        );
        const batch = { inputIds, attentionMask, batch: rows.length, length };
        const upstream = {
          gradLogprobs: new Float32Array(rows.length * (length - 1)).fill(1),
          gradEntropies: new Float32Array(rows.length * (length - 1)),
        };
        const update = {
          learningRate: 2e-2,
          betas: [0.9, 0.999] as const,
          eps: 1e-8,
          weightDecay: 0,
          maxGradNorm: Infinity,
        };
        const requests: GenerateRequest[] = prompts.map((inputIds) => ({
          inputIds,
          maxNewTokens: 8,
          sampling: { temperature: 0 },
          logprobs: true,
        }));
        const before = await cpu.generate(requests);
        for (const policy of [cpu, gpu, baked]) {
          await policy.accumulateGradients(batch, upstream);
          expect((await policy.applyUpdate(update)).applied).toBe(true);
        }
        const after = await cpu.generate(requests);
        expect(after.map((result) => result.logprobs)).not.toEqual(before.map((result) => result.logprobs));
        // the device's parameters differ from the CPU's by float32 rounding of one AdamW step
        expectSameGenerations(await gpu.generate(requests), after, 1e-3);
        expectSameGenerations(await baked.generate(requests), after, 1e-3);
      } finally {
        await baked.release();
      }
    });

    it('transfers per decode step are the same for 1 and 3 layers (4 uploads, 1 download)', async () => {
      const perStep: number[] = [];
      for (const numHiddenLayers of [1, 3]) {
        const model = createRandomModel(tinyConfig({ vocabSize: tokenizer.vocabSize, numHiddenLayers }), {
          seed: 21,
          initStd: 0.5,
        });
        const policy = await createOnnxPolicy({ model, tokenizer, executionProvider: 'webgpu' });
        try {
          // two lengths of the same generation: the difference is decode steps alone
          const run = async (maxNewTokens: number) => {
            policy.clearCache();
            const transfers = transferCounters();
            const steps = policy.statistics.decodeSteps;
            const results = await policy.generate(
              prompts.map((inputIds) => ({ inputIds, maxNewTokens, sampling: { temperature: 0 }, stopTokenIds: [] })),
            );
            expect(results.map((result) => result.finishReason)).toEqual(prompts.map(() => 'length'));
            const after = transferCounters();
            return {
              transfers: after.uploads + after.downloads - transfers.uploads - transfers.downloads,
              steps: policy.statistics.decodeSteps - steps,
            };
          };
          await run(1); // uploads made once per policy (the blank cache) stay out of the difference
          const short = await run(3);
          const long = await run(9);
          expect(long.steps - short.steps).toBe(6);
          perStep.push((long.transfers - short.transfers) / (long.steps - short.steps));
        } finally {
          await policy.release();
        }
      }
      expect(perStep[0]).toBe(perStep[1]);
      expect(perStep[0]).toBe(5);
    });
  },
);
