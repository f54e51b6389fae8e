// LoRA on webgpu (lavapipe on CI machines): the same graphs with the base and the adapters as device tensors,
// the adapters' gradients, moments and updates on the device; compared with the CPU policy step for step.
import { expectClose } from '@research-ts/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyPromptTexts, tinyWordModel, tinyWordTokenizer } from '../__fixtures__/tiny-word-model';
import { tokenBatchOf } from '../__fixtures__/token-batch-of';
import { webgpuSkipReason } from '../device/webgpu-available';
import { createOnnxPolicy, type OnnxPolicy } from '../onnx-policy';

const skip = await webgpuSkipReason();
const tokenizer = tinyWordTokenizer();
const model = tinyWordModel(tokenizer);
const lora = { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'down_proj' as const], seed: 3 } as const;
const rows = [tinyPromptTexts[0]!, tinyPromptTexts[2]!].map((text) =>
  tokenizer.encode(text, { addSpecialTokens: false }),
);
const batch = tokenBatchOf(rows);
const outputs = batch.batch * (batch.length - 1);
const update = {
  learningRate: 0.05,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

describe.skipIf(skip !== undefined)(`LoRA on webgpu${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  const policies: OnnxPolicy[] = [];
  afterAll(async () => {
    for (const policy of policies) await policy.release();
  });

  it('three steps give the CPU’s adapters (1e-4 norm-wise per tensor) and logprobs (1e-4); the device lists only the adapters', async () => {
    const make = async (executionProvider: 'cpu' | 'webgpu') => {
      const policy = await createOnnxPolicy({
        model,
        tokenizer,
        threads: 1,
        executionProvider,
        lora: { ...lora, targets: [...lora.targets] },
      });
      policies.push(policy);
      return policy;
    };
    const [cpu, gpu] = [await make('cpu'), await make('webgpu')];
    expect([...gpu.parameterSizes.keys()]).toEqual([...cpu.parameterSizes.keys()]);
    const upstream = {
      gradLogprobs: new Float32Array(outputs).fill(-1 / outputs),
      gradEntropies: new Float32Array(outputs),
    };
    for (let step = 0; step < 3; step++) {
      for (const policy of [cpu, gpu]) {
        await policy.accumulateGradients(batch, upstream);
        expect((await policy.applyUpdate(update)).applied).toBe(true);
      }
    }
    const [expected, actual] = [await cpu.readParameters(), await gpu.readParameters()];
    let worst = 0;
    for (const [name, values] of expected) {
      const got = actual.get(name)!;
      let difference = 0;
      let norm = 0;
      values.forEach((value, index) => ((difference += (got[index]! - value) ** 2), (norm += value ** 2)));
      worst = Math.max(worst, Math.sqrt(difference) / Math.max(1e-12, Math.sqrt(norm)));
    }
    console.log(`LoRA webgpu vs cpu after 3 steps: worst relative adapter difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    expectClose((await gpu.scoreTokens(batch)).logprobs, (await cpu.scoreTokens(batch)).logprobs, {
      atol: 1e-4,
      label: 'logprobs',
    });
    const [generated] = await gpu.generate([{ inputIds: rows[0]!, maxNewTokens: 4, sampling: { temperature: 0 } }]);
    const [reference] = await cpu.generate([{ inputIds: rows[0]!, maxNewTokens: 4, sampling: { temperature: 0 } }]);
    expect(generated!.outputIds).toEqual(reference!.outputIds);
  });
});
