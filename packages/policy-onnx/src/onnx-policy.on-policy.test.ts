// Exactly on-policy in float32: the log-probabilities a rollout records while sampling equal the training
// graph's log-probabilities of the same tokens, on the CPU (≤ 1e-5) and on the WebGPU device (≤ 1e-4), over
// two turns (the second reuses the first turn's cached prefix and continues after inserted tokens), so a
// local fp32 run needs no importance correction between the rollout and the update.
import type { GenerateRequest } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from './__fixtures__/tiny-word-model';
import { tokenBatchOf } from './__fixtures__/token-batch-of';
import type { ExecutionProvider } from './backend/onnxruntime';
import { webgpuSkipReason } from './device/webgpu-available';
import { createOnnxPolicy } from './onnx-policy';

const tokenizer = tinyWordTokenizer();
const tolerances: Record<'cpu' | 'webgpu', number> = { cpu: 1e-5, webgpu: 1e-4 };
const webgpuSkip = await webgpuSkipReason();

for (const provider of ['cpu', 'webgpu'] as const satisfies readonly ExecutionProvider[]) {
  const skip = provider === 'webgpu' ? webgpuSkip : undefined;
  // Skipped (reason in the title) only where webgpu cannot start; under CI=true webgpuSkipReason throws instead.
  describe.skipIf(skip !== undefined)(
    `rollout logprobs equal training logprobs on ${provider}${skip === undefined ? '' : ` (skipped: ${skip})`}`,
    () => {
      it('over two sampled turns of a batch, within the provider tolerance', async () => {
        const policy = await createOnnxPolicy({
          model: tinyWordModel(tokenizer),
          tokenizer,
          executionProvider: provider,
          threads: 1,
        });
        try {
          const prompts = tinyPromptTexts.map((text) => tokenizer.encode(text, { addSpecialTokens: false }));
          const inserted = tokenizer.encode(' <result> the author is Ada </result>', { addSpecialTokens: false });
          const request = (inputIds: number[], seed: number): GenerateRequest => ({
            inputIds,
            maxNewTokens: 10,
            stopTokenIds: [],
            logprobs: true,
            sampling: { temperature: 1, seed },
          });
          const first = await policy.generate(prompts.map((ids, index) => request(ids, 11 + index)));
          const contexts = prompts.map((ids, index) => [...ids, ...first[index]!.outputIds, ...inserted]);
          const reusedBefore = policy.statistics.reusedTokens;
          const second = await policy.generate(contexts.map((ids, index) => request(ids, 101 + index)));
          expect(policy.statistics.reusedTokens).toBeGreaterThan(reusedBefore);
          // the whole sequences, right-padded, scored by the training graph
          const rows = contexts.map((ids, index) => [...ids, ...second[index]!.outputIds]);
          const batch = tokenBatchOf(rows);
          const { length } = batch;
          const { logprobs } = await policy.scoreTokens(batch);
          let worst = 0;
          rows.forEach((_, index) => {
            const turns = [
              { start: prompts[index]!.length, recorded: first[index]!.logprobs! },
              { start: contexts[index]!.length, recorded: second[index]!.logprobs! },
            ];
            for (const { start, recorded } of turns) {
              recorded.forEach((value, offset) => {
                worst = Math.max(worst, Math.abs(value - logprobs[index * (length - 1) + start - 1 + offset]!));
              });
            }
          });
          expect(worst, `largest |rollout − training| logprob difference on ${provider}`).toBeLessThanOrEqual(
            tolerances[provider],
          );
        } finally {
          await policy.release();
        }
      });
    },
  );
}
