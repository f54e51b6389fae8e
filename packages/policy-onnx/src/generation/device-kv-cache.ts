import {
  createSession,
  runOnDevice,
  uploadTensor,
  type DeviceTensor,
  type ExecutionProvider,
  type OnnxSession,
  type SessionFeed,
} from '../backend/onnxruntime';
import type { DecoderConfig } from '../model/decoder-config';
import { buildGatherCacheGraph, gatheredCacheName, gatherSourceName } from './gather-cache-graph';

/** The keys and values of every layer on the device, `[rows, kvHeads, slots, headDim]` each. */
export interface DeviceCacheBlock {
  readonly keys: readonly DeviceTensor[];
  readonly values: readonly DeviceTensor[];
  readonly rows: number;
  readonly slots: number;
}

/** Where one sequence's keys and values are: row `row` of `block`, token `i` at slot `slots[i]`. */
export interface CacheRow {
  readonly block: DeviceCacheBlock;
  readonly row: number;
  readonly slots: readonly number[];
}

/** The slot count a gather needs sources stacked for: the next power of two (few graphs, any batch). */
const sourceSlotsFor = (count: number) => 2 ** Math.ceil(Math.log2(count));

/**
 * KV-cache blocks on a GPU provider's device and the one operation on them: `gather`, which builds a
 * block out of rows of others (see `buildGatherCacheGraph`) in one run whose only upload is its index
 * table. The gather graphs (one per power-of-two count of source blocks) are created on first use.
 * Blocks returned are the caller's to `discard`.
 */
export class DeviceKvCache {
  readonly #config: DecoderConfig;
  readonly #executionProvider: ExecutionProvider;
  readonly #sessions = new Map<number, Promise<OnnxSession>>();
  #blank: Promise<DeviceCacheBlock> | undefined;
  #blankBlock: DeviceCacheBlock | undefined;

  constructor(config: DecoderConfig, executionProvider: ExecutionProvider) {
    this.#config = config;
    this.#executionProvider = executionProvider;
  }

  /**
   * A block of one row and one zero slot, every layer the same tensor (uploaded once): the past of a
   * prefill with nothing cached (a zero-sized past crashes onnxruntime's webgpu provider) and the filler
   * of unused gather inputs. `discard` leaves it alone.
   */
  blank(): Promise<DeviceCacheBlock> {
    this.#blank ??= (async () => {
      const { numHiddenLayers, numKeyValueHeads, headDim } = this.#config;
      const zeros = await uploadTensor(this.#executionProvider, {
        data: new Float32Array(numKeyValueHeads * headDim),
        dims: [1, numKeyValueHeads, 1, headDim],
      });
      const layers = Array.from({ length: numHiddenLayers }, () => zeros);
      this.#blankBlock = { keys: layers, values: layers, rows: 1, slots: 1 };
      return this.#blankBlock;
    })();
    return this.#blank;
  }

  /**
   * A new block of `rows.length` rows and `width` slots: row `r` holds `rows[r]`'s slots in order at
   * slots `0 … rows[r].slots.length - 1`; the slots after them (padding, to be masked) hold copies of
   * finite values. Rows may share source blocks; the sources stay as they are.
   */
  async gather(rows: readonly CacheRow[], width: number): Promise<DeviceCacheBlock> {
    const offsets = new Map<DeviceCacheBlock, number>();
    const sources: DeviceCacheBlock[] = [];
    let stacked = 0;
    for (const { block } of rows) {
      if (offsets.has(block)) continue;
      offsets.set(block, stacked);
      sources.push(block);
      stacked += block.rows;
    }
    const count = sourceSlotsFor(sources.length);
    while (sources.length < count) sources.push(await this.blank());
    const most = Math.max(...sources.map((block) => block.slots));
    const indices = new BigInt64Array(rows.length * width);
    rows.forEach(({ block, row, slots }, index) => {
      const base = (offsets.get(block)! + row) * most;
      for (let slot = 0; slot < width; slot++)
        indices[index * width + slot] = BigInt(base + (slots[slot] ?? slots[0] ?? 0));
    });
    const feeds: Record<string, SessionFeed> = { indices: { data: indices, dims: [rows.length, width] } };
    sources.forEach((block, source) => {
      for (let layer = 0; layer < this.#config.numHiddenLayers; layer++) {
        feeds[gatherSourceName(source, layer, 'key')] = block.keys[layer]!;
        feeds[gatherSourceName(source, layer, 'value')] = block.values[layer]!;
      }
    });
    const { device } = await runOnDevice(await this.#session(count), feeds);
    const layers = Array.from({ length: this.#config.numHiddenLayers }, (_, layer) => layer);
    return {
      keys: layers.map((layer) => device[gatheredCacheName(layer, 'key')]!),
      values: layers.map((layer) => device[gatheredCacheName(layer, 'value')]!),
      rows: rows.length,
      slots: width,
    };
  }

  /** Frees a block's tensors (not the blank block's). */
  discard(block: DeviceCacheBlock): void {
    if (block === this.#blankBlock) return;
    for (const tensor of [...block.keys, ...block.values]) tensor.dispose();
  }

  /** Frees the blank block and the gather sessions. */
  async release(): Promise<void> {
    const blank = this.#blank;
    this.#blank = undefined;
    this.#blankBlock = undefined;
    if (blank !== undefined) (await blank).keys[0]?.dispose();
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) await (await session).release();
  }

  #session(sources: number): Promise<OnnxSession> {
    let session = this.#sessions.get(sources);
    if (session === undefined) {
      session = createSession(buildGatherCacheGraph(this.#config, sources).serialize(), {
        executionProvider: this.#executionProvider,
        deviceOutputs: 'all',
      });
      this.#sessions.set(sources, session);
    }
    return session;
  }
}
