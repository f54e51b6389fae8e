import type { DecoderConfig } from '../model/decoder-config';
import type { GenerationStatistics } from './generation-statistics';
import type { HostStepInput, HostStepOutput } from './host-step';
import type { KvCachePool } from './kv-cache-pool';

/** What prefill and decode on the host share within one policy. */
export interface HostGenerationContext {
  readonly config: DecoderConfig;
  /** Per-sequence caches kept between calls for prefix reuse. */
  readonly pool: KvCachePool;
  readonly statistics: GenerationStatistics;
  /** New tokens (padding included) one prefill run holds at most. */
  readonly prefillChunk: number;
  /** Runs the inference graph once, with the current parameters. */
  step(input: HostStepInput): Promise<HostStepOutput>;
}
