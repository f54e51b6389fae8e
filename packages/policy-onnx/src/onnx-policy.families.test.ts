// Qwen3 and Llama 3 through the whole policy, on the CPU and (where it starts, as on lavapipe) the webgpu device:
// sampled two-turn rollouts whose recorded logprobs equal the training graph's, one AdamW step that moves every
// tensor (Qwen3's q_norm/k_norm included), and a checkpoint that reloads and generates the same. The numbers of
// each family's graphs against PyTorch are checked in training/decoder-training.test.ts and by finite differences
// in decoder/decoder-graph.test.ts.
import type { GenerateRequest, ParameterUpdate } from '@research-ts/spec';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { tokenBatchOf } from './__fixtures__/token-batch-of';
import { webgpuSkipReason } from './device/webgpu-available';
import type { DecoderConfig } from './model/decoder-config';
import { loadModelDirectory } from './model/model-directory';
import { createOnnxPolicy } from './onnx-policy';
import { DecoderTraining } from './training/decoder-training';

const tokenizer = tinyWordTokenizer();
const webgpuSkip = await webgpuSkipReason();
const families: Record<string, Partial<DecoderConfig>> = {
  // head_dim 12 ≠ 32 / 4: the q_proj is wider than the hidden state, as in every Qwen3
  qwen3: { family: 'qwen3', headDim: 12, attentionBias: true, attentionOutputBias: true },
  llama3: {
    family: 'llama',
    tieWordEmbeddings: false,
    ropeTheta: 500_000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 },
  },
};
const update: ParameterUpdate = {
  learningRate: 1e-2,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 1,
};
const prompts = tinyPromptTexts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
const inserted = tokenizer.encode(' <result> the author is Ada </result>', { addSpecialTokens: false });
const request = (inputIds: number[], seed: number): GenerateRequest => ({
  inputIds,
  maxNewTokens: 8,
  stopTokenIds: [],
  logprobs: true,
  sampling: { temperature: 1, seed },
});

for (const [family, overrides] of Object.entries(families)) {
  for (const provider of ['cpu', 'webgpu'] as const) {
    const skip = provider === 'webgpu' ? webgpuSkip : undefined;
    const tolerance = provider === 'cpu' ? 1e-5 : 1e-4;
    describe.skipIf(skip !== undefined)(
      `${family} policy on ${provider}${skip === undefined ? '' : ` (skipped: ${skip.slice(0, 200)})`}`,
      () => {
        it(`two sampled turns record the training graph's logprobs (≤ ${tolerance}); a step trains every tensor; save → load → same generation`, async () => {
          const model = tinyWordModel(tokenizer, 3, overrides);
          const policy = await createOnnxPolicy({ model, tokenizer, executionProvider: provider, threads: 1 });
          const parent = await mkdtemp(join(tmpdir(), `policy-${family}-`));
          try {
            const first = await policy.generate(prompts.map((ids, index) => request(ids, 11 + index)));
            const contexts = prompts.map((ids, index) => [...ids, ...first[index]!.outputIds, ...inserted]);
            const second = await policy.generate(contexts.map((ids, index) => request(ids, 101 + index)));
            const rows = contexts.map((ids, index) => [...ids, ...second[index]!.outputIds]);
            const batch = tokenBatchOf(rows);
            const { logprobs } = await policy.scoreTokens(batch);
            let worst = 0;
            rows.forEach((_, row) => {
              const turns = [
                { start: prompts[row]!.length, recorded: first[row]!.logprobs! },
                { start: contexts[row]!.length, recorded: second[row]!.logprobs! },
              ];
              for (const { start, recorded } of turns)
                recorded.forEach((value, offset) => {
                  const trained = logprobs[row * (batch.length - 1) + start - 1 + offset]!;
                  worst = Math.max(worst, Math.abs(value - trained));
                });
            });
            expect(worst, 'largest |rollout − training| logprob').toBeLessThanOrEqual(tolerance);

            // one GRPO-shaped step: upstream gradients on the second turn's tokens only
            const upstream = new Float32Array(batch.batch * (batch.length - 1));
            rows.forEach((_, row) => {
              for (let offset = 0; offset < second[row]!.outputIds.length; offset++)
                upstream[row * (batch.length - 1) + contexts[row]!.length - 1 + offset] = row % 2 === 0 ? -0.1 : 0.1;
            });
            const before = await policy.readParameters();
            await policy.accumulateGradients(batch, {
              gradLogprobs: upstream,
              gradEntropies: new Float32Array(upstream.length),
            });
            const { applied } = await policy.applyUpdate(update);
            expect(applied).toBe(true);
            const after = await policy.readParameters();
            for (const [name, values] of before)
              expect(
                values.some((value, index) => value !== after.get(name)![index]),
                `${name} changed`,
              ).toBe(true);
            if (family === 'qwen3') expect(after.has('model.layers.1.self_attn.k_norm.weight')).toBe(true);

            const directory = join(parent, 'model');
            await policy.save(directory);
            const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
            expect(config.model_type).toBe(overrides.family);
            const reloaded = await loadModelDirectory(directory);
            for (const [name, values] of after)
              expect(Array.from(reloaded.parameters.get(name)!), name).toEqual(Array.from(values));
            const again = await createOnnxPolicy({ modelDirectory: directory, tokenizer, threads: 1 });
            const greedy = { inputIds: prompts[0]!, maxNewTokens: 6, sampling: { temperature: 0 } };
            const [fromSaved] = await again.generate([greedy]);
            await again.release();
            expect(fromSaved!.outputIds).toEqual((await policy.generate([greedy]))[0]!.outputIds);
          } finally {
            await policy.release();
            await rm(parent, { recursive: true, force: true });
          }
        });
      },
    );
  }
}

// The PyTorch float64 fixtures (tools/reference/qwen2_reference.py) on the webgpu device: the CPU runs them in
// training/decoder-training.test.ts; here the same graphs on lavapipe or a GPU.
describe.skipIf(webgpuSkip !== undefined)('PyTorch reference on webgpu', () => {
  for (const family of ['qwen3', 'llama3']) {
    it(`${family}: logprobs (atol 1e-4) and every gradient (1e-4 of the tensor's scale) match`, async () => {
      const base = fileURLToPath(new URL(`./__fixtures__/tiny-${family}-reference`, import.meta.url));
      const fixture = JSON.parse(await readFile(`${base}.json`, 'utf8')) as {
        inputIds: number[];
        attentionMask: number[];
        logprobs: number[];
        gradLogprobs: number[];
        gradEntropies: number[];
        gradients: Record<string, number[]>;
      };
      const model = await loadModelDirectory(base);
      const training = new DecoderTraining(model.config, model.parameters, { executionProvider: 'webgpu' });
      try {
        const batch = {
          inputIds: Int32Array.from(fixture.inputIds),
          attentionMask: Uint8Array.from(fixture.attentionMask),
          batch: 2,
          length: 7,
        };
        const { logprobs, gradients } = await training.backward(batch, {
          gradLogprobs: Float32Array.from(fixture.gradLogprobs),
          gradEntropies: Float32Array.from(fixture.gradEntropies),
        });
        const valid = fixture.attentionMask.filter((_, index) => index % 7 !== 0);
        logprobs.forEach((value, index) =>
          expect(Math.abs(value - fixture.logprobs[index]! * valid[index]!)).toBeLessThan(1e-4),
        );
        for (const [name, expected] of Object.entries(fixture.gradients)) {
          const scale = Math.max(1, ...expected.map(Math.abs));
          const actual = gradients.get(name)!;
          const worst = expected.reduce(
            (largest, value, index) => Math.max(largest, Math.abs(actual[index]! - value)),
            0,
          );
          expect(worst / scale, name).toBeLessThan(1e-4);
        }
      } finally {
        await training.release();
      }
    });
  }
});
