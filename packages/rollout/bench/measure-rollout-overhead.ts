import type { Policy, Retriever, Tokenizer } from '@research-ts/spec';
import { rollout, type RolloutOptions, type RolloutSample } from '../src/index';

export interface OverheadMeasurement {
  wallMs: number;
  /** Time inside `policy.generate` calls. */
  policyMs: number;
  /** Everything else: parsing queries, masks, ids, retrieval, result encoding, trajectories. */
  outsideMs: number;
  /** Of `outsideMs`: inside `retriever.search`. */
  retrieverMs: number;
  /** Of `outsideMs`: inside `tokenizer.encode` / `decode` (result blocks, truncated pieces). */
  tokenizerMs: number;
  /** Of `outsideMs`: the rollout's own work (ids, masks, query parsing, events, trajectories). */
  loopMs: number;
  /** `outsideMs / wallMs`. */
  share: number;
  generateCalls: number;
  samples: number;
  generatedTokens: number;
  insertedTokens: number;
}

/** Times one rollout and splits its wall time into inside and outside `policy.generate`. Any spec Policy plugs in. */
export async function measureRolloutOverhead(
  options: RolloutOptions,
): Promise<{ measurement: OverheadMeasurement; samples: RolloutSample[] }> {
  let policyMs = 0;
  let generateCalls = 0;
  const inner = options.policy;
  const timed: Policy = {
    specificationVersion: 'v1',
    name: inner.name,
    async generate(requests, generateOptions) {
      const start = performance.now();
      try {
        return await inner.generate(requests, generateOptions);
      } finally {
        policyMs += performance.now() - start;
        generateCalls += 1;
      }
    },
  };
  let retrieverMs = 0;
  const innerRetriever = options.retriever;
  const retriever: Retriever = {
    specificationVersion: 'v1',
    name: innerRetriever.name,
    async search(queries, k, searchOptions) {
      const start = performance.now();
      try {
        return await innerRetriever.search(queries, k, searchOptions);
      } finally {
        retrieverMs += performance.now() - start;
      }
    },
  };
  let tokenizerMs = 0;
  const innerTokenizer = options.tokenizer;
  const tokenizer: Tokenizer = Object.assign(Object.create(innerTokenizer) as Tokenizer, {
    encode(text: string, encodeOptions?: { addSpecialTokens?: boolean }) {
      const start = performance.now();
      const ids = innerTokenizer.encode(text, encodeOptions);
      tokenizerMs += performance.now() - start;
      return ids;
    },
    decode(ids: readonly number[], decodeOptions?: { skipSpecialTokens?: boolean }) {
      const start = performance.now();
      const text = innerTokenizer.decode(ids, decodeOptions);
      tokenizerMs += performance.now() - start;
      return text;
    },
  });
  const start = performance.now();
  const samples = await rollout({ ...options, policy: timed, retriever, tokenizer });
  const wallMs = performance.now() - start;
  let generatedTokens = 0;
  let insertedTokens = 0;
  for (const { trajectory } of samples) {
    for (const value of trajectory.lossMask) {
      if (value === 1) generatedTokens += 1;
      else insertedTokens += 1;
    }
  }
  const outsideMs = wallMs - policyMs;
  return {
    samples,
    measurement: {
      wallMs,
      policyMs,
      outsideMs,
      retrieverMs,
      tokenizerMs,
      loopMs: outsideMs - retrieverMs - tokenizerMs,
      share: outsideMs / wallMs,
      generateCalls,
      samples: samples.length,
      generatedTokens,
      insertedTokens,
    },
  };
}
