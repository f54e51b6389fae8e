import type { GenerateOptions } from '@research-ts/spec';
import { DeviceCacheEntry } from './device-cache-entry';
import { decodeOnDevice, gatherDecodeBatch, type DeviceDecodeBatch } from './device-decode';
import type { DeviceGenerationContext } from './device-generation-context';
import { DeviceKvCache, type CacheRow } from './device-kv-cache';
import { prefillOnDevice } from './device-prefill';
import { runDeviceStep, samplesInGraph } from './device-step';
import type { GenerationEngine, GenerationEngineOptions } from './generation-engine';
import { KvCachePool } from './kv-cache-pool';
import { acceptToken, type Sequence } from './sequence';

/**
 * Generation on a GPU provider with the KV cache on the device: the same algorithm as the host path
 * (batched prefill from the longest pooled prefix, then batched decode, finished sequences joining the
 * pool), where caches never cross to the host. Per decode step the host uploads the pending ids, their
 * positions, the attention mask and the sampler's feed, and downloads each sequence's sampled id,
 * logprob and margin (the logits only for top-k/top-p draws and draws too close to call); the
 * parameters are fed from the device. The transfers of a step do not depend on the number of layers.
 * Its session is `buildDeviceStepGraph`'s (the present caches and logits as device outputs).
 */
export class DeviceGeneration implements GenerationEngine {
  readonly #context: DeviceGenerationContext;

  constructor(options: GenerationEngineOptions) {
    const cache = new DeviceKvCache(options.config, options.executionProvider);
    this.#context = {
      config: options.config,
      cache,
      pool: new KvCachePool<DeviceCacheEntry>(options.maxCacheBytes, {
        bytesOf: (entry) => entry.bytes,
        dispose: (entry) => entry.drop(),
      }),
      statistics: options.statistics,
      prefillChunk: options.prefillChunkTokens,
      samplerInGraph: samplesInGraph(options.config),
      step: async (input) => runDeviceStep(options.config, await options.session(), options.parameterFeeds(), input),
    };
  }

  /** The pooled caches' bytes on the device. */
  get cachedBytes(): number {
    return this.#context.pool.bytes;
  }

  /** Runs the unfinished `sequences` to the end, setting their results. */
  async generate(sequences: readonly Sequence[], options: GenerateOptions = {}): Promise<void> {
    const { signal, onText } = options;
    const { cache, pool } = this.#context;
    const starting = sequences.filter((sequence) => sequence.result === undefined);
    if (starting.length === 0) return;
    const prefill = await prefillOnDevice(this.#context, starting, signal);
    let batch: DeviceDecodeBatch | undefined;
    try {
      const active: Sequence[] = [];
      const caches: CacheRow[] = [];
      const pooled = new Set<CacheRow>();
      for (const { sequence, token, cache: row } of prefill.sequences) {
        sequence.cachedIds = [...sequence.request.inputIds];
        if (!acceptToken(sequence, token, onText)) {
          active.push(sequence);
          caches.push(row);
        } else if (!pooled.has(row)) {
          // finished by its first token: its context's cache joins the pool (once per context)
          pooled.add(row);
          const block = await cache.gather([row], row.slots.length);
          pool.add(new DeviceCacheEntry(sequence.cachedIds, block, (dropped) => cache.discard(dropped)));
        }
      }
      if (active.length > 0) batch = await gatherDecodeBatch(this.#context, active, caches);
    } finally {
      prefill.release();
    }
    if (batch !== undefined) await decodeOnDevice(this.#context, batch, onText, signal);
  }

  /** Drops every pooled cache. */
  clearCache(): void {
    this.#context.pool.clear();
  }

  /** Frees the pooled caches and the gather sessions. */
  async release(): Promise<void> {
    this.#context.pool.clear();
    await this.#context.cache.release();
  }
}
