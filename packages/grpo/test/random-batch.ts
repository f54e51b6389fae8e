import { seededRandom } from '@research-ts/testing';

/** A random `[batch, responseLength]` GRPO batch (float64) with partial masks and one empty row. */
export interface RandomBatch {
  batch: number;
  responseLength: number;
  logprobs: Float64Array;
  oldLogprobs: Float64Array;
  refLogprobs: Float64Array;
  entropies: Float64Array;
  mask: Uint8Array;
  sequenceAdvantages: Float64Array;
  tokenAdvantages: Float64Array;
}

export function randomBatch(seed: number, batch = 5, responseLength = 7): RandomBatch {
  const random = seededRandom(seed);
  const size = batch * responseLength;
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const logprobs = Float64Array.from({ length: size }, () => -uniform(0.02, 4));
  // log ratios up to ±0.6: about half the tokens fall outside the 0.2 trust region
  const oldLogprobs = logprobs.map((logprob) => logprob - uniform(-0.6, 0.6));
  // ref − logprob up to ±4: k3 is clamped at 10 beyond about 2.53
  const refLogprobs = logprobs.map((logprob) => logprob + uniform(-4, 4));
  const entropies = Float64Array.from({ length: size }, () => uniform(0.01, 4));
  const mask = Uint8Array.from({ length: size }, (_, index) =>
    Math.floor(index / responseLength) === 1 ? 0 : random() < 0.8 ? 1 : 0,
  );
  const sequenceAdvantages = Float64Array.from({ length: batch }, () => uniform(-2, 2));
  const tokenAdvantages = Float64Array.from({ length: size }, () => uniform(-2, 2));
  return {
    batch,
    responseLength,
    logprobs,
    oldLogprobs,
    refLogprobs,
    entropies,
    mask,
    sequenceAdvantages,
    tokenAdvantages,
  };
}

/**
 * The arrays of `batch` as `computeActorLoss` reads them, with its per-sequence advantages, or its per-token ones when
 * `perTokenAdvantages`.
 */
export function batchInputs(batch: RandomBatch, perTokenAdvantages = false) {
  return {
    logprobs: batch.logprobs,
    oldLogprobs: batch.oldLogprobs,
    refLogprobs: batch.refLogprobs,
    entropies: batch.entropies,
    mask: batch.mask,
    advantages: perTokenAdvantages ? batch.tokenAdvantages : batch.sequenceAdvantages,
    responseLength: batch.responseLength,
  };
}
