import {
  createHostTrainingState,
  trainingStateMethods,
  InvalidInputError,
  type GenerateRequest,
  type GenerateResult,
  type TokenBatch,
  type TokenScoreGradients,
  type TokenScores,
  type TrainablePolicy,
} from '@research-ts/spec';
import { lcgRandom } from './expect-close';

export interface MockTrainablePolicyOptions {
  /** Token ids `0 … vocabSize − 1`; default 8. */
  vocabSize?: number;
  /** Seeds the initial weights (uniform in ±0.5); default 1. */
  seed?: number;
  /** An id that ends a generation (`'eos'`); default none. */
  eosId?: number;
  name?: string;
}

/** A {@link TrainablePolicy} over a bigram linear model, with its live parameters for tests. */
export interface MockTrainablePolicy extends TrainablePolicy {
  /** The live parameters (updated in place by `applyUpdate`). */
  readonly parameters: ReadonlyMap<string, Float32Array>;
}

/**
 * A tiny trainable policy for tests of code that trains one: a bigram linear model over `vocabSize` ids,
 *
 * ```text
 * weight  [vocab, vocab]   W      logits of the next token = W[previous] + bias
 * bias    [vocab]          b      logp = logits − logsumexp(logits),  H = −Σ p·logp
 * ```
 *
 * Arithmetic is float64 inside and rounded to float32 at the seam. Gradients are exact (closed form);
 * accumulation, clipping, AdamW and the moments are spec's `createHostTrainingState`. `generate` is
 * greedy whatever the sampling options (the highest logit, the lowest id on a tie).
 */
export function createMockTrainablePolicy(options: MockTrainablePolicyOptions = {}): MockTrainablePolicy {
  const vocabSize = options.vocabSize ?? 8;
  if (!Number.isInteger(vocabSize) || vocabSize < 2)
    throw new InvalidInputError(`must be an integer ≥ 2, got ${vocabSize}`, { field: 'vocabSize' });
  const random = lcgRandom(options.seed ?? 1);
  const weight = Float32Array.from({ length: vocabSize * vocabSize }, () => random() - 0.5);
  const bias = Float32Array.from({ length: vocabSize }, () => random() - 0.5);
  const parameters = new Map([
    ['weight', weight],
    ['bias', bias],
  ]);
  const training = createHostTrainingState(parameters);

  /** The next-token log-probabilities after `previous`, and their entropy. */
  function distribution(previous: number): { logp: Float64Array; entropy: number } {
    if (!Number.isInteger(previous) || previous < 0 || previous >= vocabSize)
      throw new InvalidInputError(`token id ${previous} is outside [0, ${vocabSize})`, { field: 'inputIds' });
    const logp = new Float64Array(vocabSize);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < vocabSize; k++) {
      logp[k] = weight[previous * vocabSize + k]! + bias[k]!;
      max = Math.max(max, logp[k]!);
    }
    let sum = 0;
    for (let k = 0; k < vocabSize; k++) sum += Math.exp(logp[k]! - max);
    const logSum = max + Math.log(sum);
    let entropy = 0;
    for (let k = 0; k < vocabSize; k++) {
      logp[k] = logp[k]! - logSum;
      entropy -= Math.exp(logp[k]!) * logp[k]!;
    }
    return { logp, entropy };
  }

  /** Calls `visit(index, previous, next)` for every score position whose two tokens are real. */
  function forEachScored(batch: TokenBatch, visit: (index: number, previous: number, next: number) => void): void {
    for (let row = 0; row < batch.batch; row++) {
      for (let t = 0; t + 1 < batch.length; t++) {
        const at = row * batch.length + t;
        if (batch.attentionMask[at] === 0 || batch.attentionMask[at + 1] === 0) continue;
        visit(row * (batch.length - 1) + t, batch.inputIds[at]!, batch.inputIds[at + 1]!);
      }
    }
  }

  async function scoreTokens(batch: TokenBatch): Promise<TokenScores> {
    const size = batch.batch * (batch.length - 1);
    const logprobs = new Float32Array(size);
    const entropies = new Float32Array(size);
    forEachScored(batch, (index, previous, next) => {
      const { logp, entropy } = distribution(previous);
      logprobs[index] = logp[next]!;
      entropies[index] = entropy;
    });
    return { logprobs, entropies };
  }

  async function accumulateGradients(batch: TokenBatch, upstream: TokenScoreGradients): Promise<void> {
    const size = batch.batch * (batch.length - 1);
    if (upstream.gradLogprobs.length !== size || upstream.gradEntropies.length !== size) {
      throw new InvalidInputError(
        `expected ${size} upstream gradients per output for a [${batch.batch}, ${batch.length - 1}] batch`,
        { field: 'upstream' },
      );
    }
    const gradWeight = new Float64Array(weight.length);
    const gradBias = new Float64Array(bias.length);
    forEachScored(batch, (index, previous, next) => {
      const { logp, entropy } = distribution(previous);
      const gradLogprob = upstream.gradLogprobs[index]!;
      const gradEntropy = upstream.gradEntropies[index]!;
      for (let k = 0; k < vocabSize; k++) {
        const p = Math.exp(logp[k]!);
        // d logp[next] / dz_k = [k = next] − p_k;   dH / dz_k = −p_k (logp_k + H)
        const gradLogit = gradLogprob * ((k === next ? 1 : 0) - p) - gradEntropy * p * (logp[k]! + entropy);
        gradWeight[previous * vocabSize + k]! += gradLogit;
        gradBias[k]! += gradLogit;
      }
    });
    training.accumulate(
      new Map([
        ['weight', Float32Array.from(gradWeight)],
        ['bias', Float32Array.from(gradBias)],
      ]),
    );
  }

  async function generate(requests: readonly GenerateRequest[]): Promise<GenerateResult[]> {
    return requests.map((request) => {
      const stops = new Set([...(options.eosId === undefined ? [] : [options.eosId]), ...(request.stopTokenIds ?? [])]);
      const outputIds: number[] = [];
      const logprobs: number[] = [];
      let previous = request.inputIds[request.inputIds.length - 1] ?? 0;
      while (outputIds.length < request.maxNewTokens) {
        const { logp } = distribution(previous);
        let next = 0;
        for (let k = 1; k < vocabSize; k++) if (logp[k]! > logp[next]!) next = k;
        outputIds.push(next);
        logprobs.push(logp[next]!);
        previous = next;
        if (stops.has(next)) {
          const result: GenerateResult = {
            outputIds,
            text: outputIds.join(' '),
            finishReason: 'eos',
            stopTokenId: next,
          };
          if (request.logprobs === true) result.logprobs = logprobs;
          return result;
        }
      }
      const result: GenerateResult = { outputIds, text: outputIds.join(' '), finishReason: 'length' };
      if (request.logprobs === true) result.logprobs = logprobs;
      return result;
    });
  }

  return {
    specificationVersion: 'v1',
    name: options.name ?? `mock-bigram-${vocabSize}`,
    parameters,
    ...trainingStateMethods(training),
    generate,
    scoreTokens,
    accumulateGradients,
  };
}
