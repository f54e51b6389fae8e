import type { GenerateOptions } from '@research-ts/spec';
import { DeviceCacheEntry } from './device-cache-entry';
import type { DeviceGenerationContext } from './device-generation-context';
import type { CacheRow, DeviceCacheBlock } from './device-kv-cache';
import { planDraw, resolveDraws, samplingFeed } from './device-sampling';
import { maskedSlots } from './host-cache-layout';
import { acceptToken, type Sequence } from './sequence';
import { withNewTokenSlot } from './step-feeds';

/** The sequences decoding together: their cache `[rows, kvHeads, slots, headDim]` on the device and which slots are real. */
export interface DeviceDecodeBatch {
  sequences: Sequence[];
  block: DeviceCacheBlock;
  /** `[rows · block.slots]`: 1 where a slot holds a token of the row. */
  mask: Uint8Array;
}

/** Gathers the sequences' caches into one batch, each row's tokens first, padded to the longest. */
export async function gatherDecodeBatch(
  context: DeviceGenerationContext,
  sequences: Sequence[],
  caches: readonly CacheRow[],
): Promise<DeviceDecodeBatch> {
  const width = Math.max(...caches.map((cache) => cache.slots.length));
  const block = await context.cache.gather(caches, width);
  const mask = new Uint8Array(sequences.length * width);
  caches.forEach((cache, row) => mask.fill(1, row * width, row * width + cache.slots.length));
  return { sequences, block, mask };
}

/** Row `row`'s real slots, in order. */
const realSlots = (batch: DeviceDecodeBatch, row: number): number[] => maskedSlots(batch.mask, batch.block.slots, row);

/**
 * Decodes a batch on the device until every sequence is finished: per step one run of the step graph
 * (the cache goes in and comes out on the device, one slot longer; up go the pending ids, positions,
 * mask and sampler feed; down come the samples). A finished sequence's real slots are cut out into a
 * pool entry; the rest are gathered into a new batch without its row. The batch's block is freed on the
 * way out, also on abort.
 */
export async function decodeOnDevice(
  context: DeviceGenerationContext,
  start: DeviceDecodeBatch,
  onText: GenerateOptions['onText'],
  signal: AbortSignal | undefined,
): Promise<void> {
  const { cache, config, statistics } = context;
  let batch: DeviceDecodeBatch | undefined = start;
  try {
    while (batch !== undefined) {
      signal?.throwIfAborted();
      const { sequences } = batch;
      const rows = sequences.length;
      const slots = batch.block.slots;
      // the past slots as they are, then the new token at slot `slots`
      const mask = withNewTokenSlot(batch.mask, rows, slots);
      const draws = sequences.map((sequence, row) => planDraw(sequence, row, config.vocabSize, context.samplerInGraph));
      const out = await context.step({
        inputIds: sequences.map((sequence) => sequence.pending),
        positions: sequences.map((sequence) => sequence.cachedIds.length),
        rows,
        mask,
        past: batch.block,
        sampling: context.samplerInGraph ? samplingFeed(draws) : undefined,
      });
      cache.discard(batch.block);
      batch = { sequences, block: out.present, mask };
      statistics.decodeSteps += 1;
      statistics.decodedTokens += rows;
      let tokens;
      try {
        tokens = await resolveDraws(draws, out.samples, out.logits, config.vocabSize);
      } finally {
        out.logits.dispose();
      }
      const finished: number[] = [];
      sequences.forEach((sequence, row) => {
        sequence.cachedIds.push(sequence.pending);
        if (acceptToken(sequence, tokens[row]!, onText)) finished.push(row);
      });
      if (finished.length > 0) batch = await retire(context, batch, finished);
    }
  } finally {
    if (batch !== undefined) cache.discard(batch.block);
  }
}

/** Moves the finished rows' caches to the pool; returns the batch of the others (or none), the old block freed. */
async function retire(
  context: DeviceGenerationContext,
  batch: DeviceDecodeBatch,
  finished: readonly number[],
): Promise<DeviceDecodeBatch | undefined> {
  const { cache, pool } = context;
  for (const row of finished) {
    const slots = realSlots(batch, row);
    const block = await cache.gather([{ block: batch.block, row, slots }], slots.length);
    pool.add(new DeviceCacheEntry([...batch.sequences[row]!.cachedIds], block, (dropped) => cache.discard(dropped)));
  }
  const remaining = batch.sequences.flatMap((_, row) => (finished.includes(row) ? [] : [row]));
  const next =
    remaining.length === 0
      ? undefined
      : await gatherDecodeBatch(
          context,
          remaining.map((row) => batch.sequences[row]!),
          remaining.map((row) => ({ block: batch.block, row, slots: realSlots(batch, row) })),
        );
  cache.discard(batch.block);
  return next;
}
