import type { DecoderConfig } from '../model/decoder-config';
import type { DeviceCacheEntry } from './device-cache-entry';
import type { DeviceKvCache } from './device-kv-cache';
import type { DeviceStepInput, DeviceStepOutput } from './device-step';
import type { GenerationStatistics } from './generation-statistics';
import type { KvCachePool } from './kv-cache-pool';

/** What prefill and decode on the device share within one policy. */
export interface DeviceGenerationContext {
  readonly config: DecoderConfig;
  readonly cache: DeviceKvCache;
  /** Per-sequence caches kept between calls for prefix reuse. */
  readonly pool: KvCachePool<DeviceCacheEntry>;
  readonly statistics: GenerationStatistics;
  /** New tokens (padding included) one prefill run holds at most. */
  readonly prefillChunk: number;
  /** Whether the step graph samples (see `samplesInGraph`). */
  readonly samplerInGraph: boolean;
  /** Runs the step graph once, with the current parameters. */
  step(input: DeviceStepInput): Promise<DeviceStepOutput>;
}
