import type { TokenBatch, TokenScoreGradients, TokenScores, TrainablePolicy } from '@research-ts/spec';

/** What a recording wrapper saw: each call's batch and (copied) upstream gradients. */
export interface PolicyRecord {
  scored: TokenBatch[];
  backward: { batch: TokenBatch; upstream: TokenScoreGradients }[];
}

export interface PolicyFaults {
  /** Overwrite the logprob at this score index of every scored micro-batch that has it, with this value. */
  logprob?: { index: (batch: TokenBatch) => number | undefined; value: number };
  /** Overwrite element 0 of this parameter's gradient. */
  gradient?: { name: string; value: number };
}

/** A policy that delegates to `inner`, records what it is given, and injects faults. */
export function wrapPolicy(inner: TrainablePolicy, faults: PolicyFaults = {}): TrainablePolicy & { record: PolicyRecord } {
  const record: PolicyRecord = { scored: [], backward: [] };
  return {
    specificationVersion: 'v1',
    name: `wrapped-${inner.name}`,
    get parameters() {
      return inner.parameters;
    },
    record,
    generate: (requests, options) => inner.generate(requests, options),
    async scoreTokens(batch: TokenBatch): Promise<TokenScores> {
      record.scored.push(batch);
      const scores = await inner.scoreTokens(batch);
      const index = faults.logprob?.index(batch);
      if (faults.logprob !== undefined && index !== undefined) scores.logprobs[index] = faults.logprob.value;
      return scores;
    },
    async backward(batch: TokenBatch, upstream: TokenScoreGradients) {
      record.backward.push({ batch, upstream: { gradLogprobs: upstream.gradLogprobs.slice(), gradEntropies: upstream.gradEntropies.slice() } });
      const gradients = await inner.backward(batch, upstream);
      if (faults.gradient !== undefined) gradients.get(faults.gradient.name)![0] = faults.gradient.value;
      return gradients;
    },
    parametersChanged: () => inner.parametersChanged(),
  };
}

/** True when two parameter maps hold the same bits. */
export function sameBits(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) {
    const other = b.get(name);
    if (other === undefined || other.length !== value.length) return false;
    if (!Buffer.from(value.buffer, value.byteOffset, value.byteLength).equals(Buffer.from(other.buffer, other.byteOffset, other.byteLength))) return false;
  }
  return true;
}
