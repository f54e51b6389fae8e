import type { GenerateOptions } from '@research-ts/spec';
import type { GenerationEngine, GenerationEngineOptions } from './generation-engine';
import { decodeOnHost } from './host-decode';
import { packDecodeBatch } from './host-decode-batch';
import type { HostGenerationContext } from './host-generation-context';
import { prefillOnHost } from './host-prefill';
import { runHostStep } from './host-step';
import { KvCachePool, type SequenceCache } from './kv-cache-pool';
import { sampleToken } from './sampling';
import { acceptToken, type Sequence } from './sequence';

/**
 * Generation on the cpu provider with the KV cache in host arrays: the contexts are prefilled together in
 * batched runs (identical contexts once; each reuses the longest cached prefix from the pool, so a context
 * that extends an earlier one only computes its new suffix); then all sequences decode together, one
 * token per step, over a shared cache `[batch, kvHeads, slots, headDim]` whose padding slots are masked,
 * each sequence at its own positions. A finished sequence leaves the batch and its cache joins the pool.
 * Its session is `buildInferenceGraph`'s.
 */
export class HostGeneration implements GenerationEngine {
  readonly #context: HostGenerationContext;

  constructor(options: GenerationEngineOptions) {
    this.#context = {
      config: options.config,
      pool: new KvCachePool(options.maxCacheBytes),
      statistics: options.statistics,
      prefillChunk: options.prefillChunkTokens,
      step: async (input) => runHostStep(options.config, await options.session(), options.parameterFeeds(), input),
    };
  }

  /** Runs the unfinished `sequences` to the end, setting their results. */
  async generate(sequences: readonly Sequence[], options: GenerateOptions = {}): Promise<void> {
    const { signal, onText } = options;
    const context = this.#context;
    const starting = sequences.filter((sequence) => sequence.result === undefined);
    const prefilled = await prefillOnHost(
      context,
      starting.map((sequence) => sequence.request.inputIds),
      signal,
    );
    const active: Sequence[] = [];
    const caches: SequenceCache[] = [];
    starting.forEach((sequence, index) => {
      const { logits, cache } = prefilled[index]!;
      context.pool.add(cache);
      sequence.cachedIds = [...sequence.request.inputIds];
      if (acceptToken(sequence, sampleToken(logits, sequence.settings, sequence.random), onText)) return;
      active.push(sequence);
      caches.push(cache);
    });
    if (active.length > 0) await decodeOnHost(context, packDecodeBatch(context.config, active, caches), onText, signal);
  }

  /** Drops every pooled cache. */
  clearCache(): void {
    this.#context.pool.clear();
  }

  /** Frees the pooled caches. */
  async release(): Promise<void> {
    this.#context.pool.clear();
  }
}
