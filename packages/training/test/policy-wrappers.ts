import type { TokenBatch, TokenScoreGradients, TokenScores, TrainablePolicy } from '@research-ts/spec';
import type { TinyPolicy } from './tiny-policy';

/** What a recording wrapper saw: each call's batch and (copied) upstream gradients. */
export interface PolicyRecord {
  scored: TokenBatch[];
  accumulated: { batch: TokenBatch; upstream: TokenScoreGradients }[];
  /** `zeroGradients` calls. */
  zeroed: number;
}

export interface PolicyFaults {
  /** Overwrite the logprob at this score index of every scored micro-batch that has it, with this value. */
  logprob?: { index: (batch: TokenBatch) => number | undefined; value: number };
  /** Add this value to element 0 of this parameter's accumulated gradient after every accumulation. */
  gradient?: { name: string; value: number };
}

/** A tiny policy that delegates to `inner`, records what it is given, and injects faults. */
export function wrapPolicy(inner: TinyPolicy, faults: PolicyFaults = {}): TrainablePolicy & { record: PolicyRecord } {
  const record: PolicyRecord = { scored: [], accumulated: [], zeroed: 0 };
  return {
    specificationVersion: 'v1',
    name: `wrapped-${inner.name}`,
    parameterSizes: inner.parameterSizes,
    record,
    generate: (requests, options) => inner.generate(requests, options),
    async scoreTokens(batch: TokenBatch): Promise<TokenScores> {
      record.scored.push(batch);
      const scores = await inner.scoreTokens(batch);
      const index = faults.logprob?.index(batch);
      if (faults.logprob !== undefined && index !== undefined) scores.logprobs[index] = faults.logprob.value;
      return scores;
    },
    async accumulateGradients(batch: TokenBatch, upstream: TokenScoreGradients) {
      record.accumulated.push({
        batch,
        upstream: { gradLogprobs: upstream.gradLogprobs.slice(), gradEntropies: upstream.gradEntropies.slice() },
      });
      await inner.accumulateGradients(batch, upstream);
      if (faults.gradient === undefined) return;
      const delta = new Float32Array(inner.parameterSizes.get(faults.gradient.name)!);
      delta[0] = faults.gradient.value;
      inner.training.accumulate(new Map([[faults.gradient.name, delta]]));
    },
    applyUpdate: (update) => inner.applyUpdate(update),
    async zeroGradients() {
      record.zeroed++;
      await inner.zeroGradients();
    },
    readGradients: () => inner.readGradients(),
    readParameters: (names) => inner.readParameters(names),
    readOptimizerState: () => inner.readOptimizerState(),
    loadOptimizerState: (moments) => inner.loadOptimizerState(moments),
  };
}
