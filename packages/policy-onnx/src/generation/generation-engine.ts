import type { GenerateOptions } from '@research-ts/spec';
import type { ExecutionProvider, OnnxSession, SessionFeed } from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import type { GenerationStatistics } from './generation-statistics';
import type { Sequence } from './sequence';

/**
 * How a policy generates: batched prefill from the longest pooled prefix, then batched decode, finished
 * sequences' caches joining the pool. `HostGeneration` keeps the KV cache in host arrays (the cpu
 * provider), `DeviceGeneration` on the device (a GPU provider).
 */
export interface GenerationEngine {
  /** Runs the unfinished `sequences` to the end, setting their results. */
  generate(sequences: readonly Sequence[], options?: GenerateOptions): Promise<void>;
  /** Drops every pooled cache (call after the parameters change). */
  clearCache(): void;
  /** Frees the pooled caches and any sessions of its own. */
  release(): Promise<void>;
}

/** What a `GenerationEngine` takes from its policy. */
export interface GenerationEngineOptions {
  config: DecoderConfig;
  executionProvider: ExecutionProvider;
  /** The generation graph's session, asked for on every run (it is rebuilt when it holds the weights and they change). */
  session: () => Promise<OnnxSession>;
  /** The parameter feeds of one run (none when the graph holds them), asked for on every run. */
  parameterFeeds: () => Readonly<Record<string, SessionFeed>>;
  statistics: GenerationStatistics;
  /** Bytes of KV cache the pool keeps between calls. */
  maxCacheBytes: number;
  /** New tokens (padding included) one prefill run holds at most. */
  prefillChunkTokens: number;
}
