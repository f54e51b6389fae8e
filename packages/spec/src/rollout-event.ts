import type { Passage } from './passage';
import type { Trajectory } from './trajectory';

/**
 * Events a rollout emits for apps (streaming UIs, logs). `sample` indexes the rollout within its batch.
 * For `search-*` and `result-inserted` events, `turn` is the 0-based search index, which equals the index
 * of the generation that asked for it.
 */
export type RolloutEvent =
  | { type: 'turn-start'; sample: number; turn: number }
  | { type: 'text-delta'; sample: number; delta: string }
  | { type: 'search-start'; sample: number; turn: number; query: string }
  | { type: 'search-end'; sample: number; turn: number; query: string; passages: Passage[] }
  | { type: 'search-error'; sample: number; turn: number; query: string; error: string; willRetry: boolean }
  | { type: 'result-inserted'; sample: number; turn: number; tokenCount: number }
  | { type: 'trajectory-end'; sample: number; trajectory: Trajectory };
