import type { TrainablePolicy } from '@research-ts/spec';

/** A sequence to imitate: prompt, response, and the response tokens that enter the loss. */
export interface SupervisedExample {
  promptIds: readonly number[];
  responseIds: readonly number[];
  /** 1 where the response token is trained on (same length as `responseIds`); a `Trajectory` is an example. */
  lossMask: Uint8Array | readonly number[];
}

export interface SupervisedStepOptions {
  padId: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** The learning rate of this update. */
  learningRate: number;
}

export interface SupervisedStepResult {
  /** Mean negative log-likelihood per trained token, before the update. */
  loss: number;
  tokenCount: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** False when the norm was not finite and the policy skipped the update. */
  applied: boolean;
}

/**
 * One teacher-forced update: the mean NLL of the masked response tokens, its gradient accumulated in the
 * policy (d loss / d logprob = −1/N on every trained position), then one `applyUpdate`: global-norm
 * clipping and AdamW with PyTorch's betas and eps and no weight decay, on the policy's own optimizer
 * state. Used by the format warm-up; RL never calls it.
 */
export async function supervisedStep(
  policy: TrainablePolicy,
  examples: readonly SupervisedExample[],
  options: SupervisedStepOptions,
): Promise<SupervisedStepResult> {
  const length = Math.max(...examples.map((example) => example.promptIds.length + example.responseIds.length));
  const rows = examples.length;
  const inputIds = new Int32Array(rows * length).fill(options.padId);
  const attentionMask = new Uint8Array(rows * length);
  const gradLogprobs = new Float32Array(rows * (length - 1));
  let tokenCount = 0;
  examples.forEach((example, row) => {
    const ids = [...example.promptIds, ...example.responseIds];
    inputIds.set(ids, row * length);
    attentionMask.fill(1, row * length, row * length + ids.length);
    example.lossMask.forEach((bit, index) => {
      if (bit !== 1) return;
      gradLogprobs[row * (length - 1) + example.promptIds.length - 1 + index] = 1;
      tokenCount++;
    });
  });
  for (let index = 0; index < gradLogprobs.length; index++)
    gradLogprobs[index] = -gradLogprobs[index]! / Math.max(1, tokenCount);
  const batch = { inputIds, attentionMask, batch: rows, length };
  const scores = await policy.scoreTokens(batch);
  let loss = 0;
  for (let index = 0; index < gradLogprobs.length; index++)
    if (gradLogprobs[index] !== 0) loss += gradLogprobs[index]! * scores.logprobs[index]!;
  await policy.zeroGradients();
  await policy.accumulateGradients(batch, { gradLogprobs, gradEntropies: new Float32Array(gradLogprobs.length) });
  const { gradNorm, applied } = await policy.applyUpdate({
    learningRate: options.learningRate,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    maxGradNorm: options.gradClip,
  });
  return { loss, tokenCount, gradNorm, applied };
}
