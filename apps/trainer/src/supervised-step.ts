import type { AdamW } from '@research-ts/grpo';
import { clipGradNorm } from '@research-ts/grpo';
import type { TrainablePolicy } from '@research-ts/spec';

/** A sequence to imitate: prompt, response, and the response tokens that enter the loss. */
export interface SupervisedExample {
  promptIds: readonly number[];
  responseIds: readonly number[];
  /** 1 where the response token is trained on (same length as `responseIds`). */
  lossMask: readonly number[];
}

export interface SupervisedStepResult {
  /** Mean negative log-likelihood per trained token, before the update. */
  loss: number;
  tokenCount: number;
  gradNorm: number;
}

/**
 * One teacher-forced update: the mean NLL of the masked response tokens, its gradient through
 * `policy.backward` (d loss / d logprob = −1/N on every trained position), global-norm clipping and
 * one optimizer step. Used by the format warm-up; RL never calls it.
 */
export async function supervisedStep(policy: TrainablePolicy, optimizer: AdamW, examples: readonly SupervisedExample[], options: { padId: number; gradClip: number }): Promise<SupervisedStepResult> {
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
  for (let index = 0; index < gradLogprobs.length; index++) gradLogprobs[index] = -gradLogprobs[index]! / Math.max(1, tokenCount);
  const batch = { inputIds, attentionMask, batch: rows, length };
  const scores = await policy.scoreTokens(batch);
  let loss = 0;
  for (let index = 0; index < gradLogprobs.length; index++) if (gradLogprobs[index] !== 0) loss += gradLogprobs[index]! * scores.logprobs[index]!;
  const gradients = await policy.backward(batch, { gradLogprobs, gradEntropies: new Float32Array(gradLogprobs.length) });
  const gradNorm = clipGradNorm(gradients, options.gradClip);
  optimizer.step(gradients);
  policy.parametersChanged();
  return { loss, tokenCount, gradNorm };
}
