// GPU checks (run only with RESEARCH_TS_GPU=1; tools/gpu-check.sh runs them): the key decoder tests on
// the webgpu and cuda execution providers. A provider this machine cannot start is reported as skipped
// with onnxruntime's reason; webgpu is bundled, so on a GPU machine its absence is worth reading.
import { runPolicyConformance } from '@research-ts/testing';
import { UnsupportedError } from '@research-ts/spec';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { tokenBatchOf } from './__fixtures__/token-batch-of';
import type { ExecutionProvider } from './backend/onnxruntime';
import { loadModelDirectory } from './model/model-directory';
import { createOnnxPolicy, type OnnxPolicy } from './onnx-policy';
import { DecoderTraining } from './training/decoder-training';

const tokenizer = tinyWordTokenizer();
const providers: ExecutionProvider[] = ['webgpu', 'cuda'];
/** GPUs may use TF32 or reassociate sums: looser than the CPU's 1e-4. */
const tolerance = 2e-3;

async function probe(provider: ExecutionProvider): Promise<string | undefined> {
  try {
    const policy = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: provider });
    await policy.generate([{ inputIds: [1, 2, 3], maxNewTokens: 2, sampling: { temperature: 0 } }]);
    await policy.release();
    return undefined;
  } catch (error) {
    if (error instanceof UnsupportedError || /provider|adapter|vulkan|cuda|webgpu/i.test(String(error)))
      return String(error);
    throw error;
  }
}

const fixtureDirectory = fileURLToPath(new URL('./__fixtures__/tiny-qwen2-reference', import.meta.url));
const fixture = JSON.parse(
  await readFile(fileURLToPath(new URL('./__fixtures__/tiny-qwen2-reference.json', import.meta.url)), 'utf8'),
) as {
  inputIds: number[];
  attentionMask: number[];
  batch: number;
  sequence: number;
  logprobs: number[];
  gradLogprobs: number[];
  gradEntropies: number[];
  gradients: Record<string, number[]>;
};

for (const provider of providers) {
  const unavailable = await probe(provider);
  if (unavailable !== undefined) {
    describe(`${provider} execution provider`, () => {
      // Skipped with its reason in the title: this machine lacks the provider (CPU-only CI, or no Vulkan/CUDA).
      it.skip(`skipped: ${provider} does not start here — ${unavailable.slice(0, 300)}`, () => {});
    });
    continue;
  }

  describe(`${provider} execution provider`, () => {
    it('training logprobs and every parameter gradient match the PyTorch reference', async () => {
      const model = await loadModelDirectory(fixtureDirectory);
      const training = new DecoderTraining(model.config, model.parameters, { executionProvider: provider });
      try {
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
        const valid = fixture.attentionMask.flatMap((value, index) =>
          index % fixture.sequence === 0 ? [] : [fixture.attentionMask[index]!],
        );
        fixture.logprobs.forEach((value, index) =>
          expect(Math.abs(logprobs[index]! - value * valid[index]!)).toBeLessThan(tolerance),
        );
        for (const [name, expected] of Object.entries(fixture.gradients)) {
          const actual = gradients.get(name)!;
          const scale = Math.max(1, ...expected.map(Math.abs));
          expected.forEach((value, index) =>
            expect(Math.abs(actual[index]! - value) / scale, name).toBeLessThan(tolerance),
          );
        }
      } finally {
        await training.release();
      }
    });

    it('KV-cached greedy decoding gives the logprobs of a full recompute, and the CPU tokens', async () => {
      const gpu = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: provider });
      const cpu = await createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: 'cpu' });
      try {
        const prompt = tokenizer.encode(tinyPromptTexts[0]!, { addSpecialTokens: false });
        const request = {
          inputIds: prompt,
          maxNewTokens: 12,
          sampling: { temperature: 0 },
          stopTokenIds: [],
          logprobs: true,
        };
        const [onGpu] = await gpu.generate([request]);
        const [onCpu] = await cpu.generate([request]);
        expect(onGpu!.outputIds).toEqual(onCpu!.outputIds);
        const ids = [...prompt, ...onGpu!.outputIds];
        const { logprobs } = await gpu.scoreTokens(tokenBatchOf([ids]));
        onGpu!.logprobs!.forEach((value, index) =>
          expect(Math.abs(value - logprobs[prompt.length - 1 + index]!)).toBeLessThan(tolerance),
        );
      } finally {
        await gpu.release();
        await cpu.release();
      }
    });
  });

  runPolicyConformance({
    name: `createOnnxPolicy on ${provider}`,
    createPolicy: () => createOnnxPolicy({ model: tinyWordModel(tokenizer), tokenizer, executionProvider: provider }),
    disposePolicy: (policy) => (policy as OnnxPolicy).release(),
    tokenizer,
  });
}
