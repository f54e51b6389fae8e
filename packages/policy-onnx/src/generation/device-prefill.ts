import type { DeviceCacheEntry } from './device-cache-entry';
import type { DeviceGenerationContext } from './device-generation-context';
import type { CacheRow, DeviceCacheBlock } from './device-kv-cache';
import { planDraw, resolveDraws, samplingFeed, type Draw } from './device-sampling';
import { nextPrefillGroup } from './next-prefill-group';
import { prefillRunTokens } from './prefill-run-tokens';
import type { SampledToken } from './sampling';
import type { Sequence } from './sequence';

/** What prefill gives one sequence: its first token and where its context's keys and values are. */
export interface PrefilledSequence {
  sequence: Sequence;
  token: SampledToken;
  /** The same object for the sequences of one context. */
  cache: CacheRow;
}

export interface DevicePrefill {
  sequences: PrefilledSequence[];
  /** Frees the blocks prefill made and lets go of the pool entries it read: call once the rows are copied out. */
  release(): void;
}

interface PrefillRow {
  ids: readonly number[];
  /** Tokens whose keys and values are in `cache`. */
  done: number;
  cache: CacheRow;
  sequences: Sequence[];
  tokens: SampledToken[] | undefined;
}

/**
 * Prefills the contexts of `sequences` on the device, as the host path does (identical contexts once,
 * each from the longest prefix in the pool, suffixes batched in runs of at most `prefillChunk` new
 * tokens, left-padded so that every row's last position is real) and draws each sequence's first token
 * with the step graph's sampler. A run's past is gathered from the rows' caches (pool entries, earlier
 * runs, or the blank block), except for a run of one row whose cache fills a one-row block: that is fed
 * as it is.
 */
export async function prefillOnDevice(
  context: DeviceGenerationContext,
  sequences: readonly Sequence[],
  signal: AbortSignal | undefined,
): Promise<DevicePrefill> {
  const { cache, pool, statistics, prefillChunk } = context;
  const blank = await cache.blank();
  const held: DeviceCacheEntry[] = [];
  /** Blocks made by runs, with the number of rows whose cache is in them. */
  const users = new Map<DeviceCacheBlock, number>();
  const moveCache = (row: PrefillRow, next: CacheRow) => {
    const previous = row.cache.block;
    row.cache = next;
    users.set(next.block, (users.get(next.block) ?? 0) + 1);
    const left = users.get(previous);
    if (left === undefined) return;
    if (left > 1) users.set(previous, left - 1);
    else {
      users.delete(previous);
      cache.discard(previous);
    }
  };
  const release = () => {
    for (const block of users.keys()) cache.discard(block);
    users.clear();
    for (const entry of held.splice(0)) entry.letGo();
  };
  try {
    const rowOf = new Map<string, PrefillRow>();
    for (const sequence of sequences) {
      const ids = sequence.request.inputIds;
      const key = ids.join(',');
      const seen = rowOf.get(key);
      if (seen !== undefined) {
        statistics.reusedTokens += ids.length;
        seen.sequences.push(sequence);
        continue;
      }
      const match = pool.longestPrefix(ids, ids.length - 1);
      const cached = match?.length ?? 0;
      statistics.reusedTokens += cached;
      statistics.prefilledTokens += ids.length - cached;
      if (match !== undefined) {
        match.entry.hold();
        held.push(match.entry);
      }
      const rowCache: CacheRow =
        match === undefined
          ? { block: blank, row: 0, slots: [] }
          : { block: match.entry.block, row: 0, slots: Array.from({ length: cached }, (_, slot) => slot) };
      rowOf.set(key, { ids, done: cached, cache: rowCache, sequences: [sequence], tokens: undefined });
    }
    const pending = [...rowOf.values()];
    while (pending.length > 0) {
      signal?.throwIfAborted();
      const { group, longest } = nextPrefillGroup(pending, prefillChunk);
      await runPrefillGroup(context, group, longest, moveCache);
      for (const row of group) if (row.done === row.ids.length) pending.splice(pending.indexOf(row), 1);
    }
    const prefilled = [...rowOf.values()].flatMap((row) =>
      row.sequences.map((sequence, index) => ({ sequence, token: row.tokens![index]!, cache: row.cache })),
    );
    const order = new Map(sequences.map((sequence, index) => [sequence, index]));
    return { sequences: prefilled.sort((a, b) => order.get(a.sequence)! - order.get(b.sequence)!), release };
  } catch (error) {
    release();
    throw error;
  }
}

/** One prefill run over `group`, `longest` new tokens per row; moves each row's cache to the run's output and samples the rows it completes. */
async function runPrefillGroup(
  context: DeviceGenerationContext,
  group: PrefillRow[],
  longest: number,
  moveCache: (row: PrefillRow, next: CacheRow) => void,
): Promise<void> {
  const { cache, config } = context;
  const rows = group.length;
  // one row whose cache fills a one-row block (or is the blank one) goes as it is; otherwise the rows'
  // caches are gathered into slots 0 … done-1 of a common past of at least one (masked) slot
  const only = group[0]!.cache;
  const direct =
    rows === 1 && only.block.rows === 1 && (group[0]!.done === 0 || only.slots.length === only.block.slots);
  const past = direct
    ? group[0]!.cache.block
    : await cache.gather(
        group.map((row) => row.cache),
        Math.max(1, ...group.map((row) => row.done)),
      );
  const pastSlots = past.slots;
  const pastSlotsOf = group.map((row) =>
    direct ? row.cache.slots : Array.from({ length: row.done }, (_, slot) => slot),
  );
  const { tokens, pieces } = prefillRunTokens(group, longest, context.prefillChunk, pastSlots, pastSlotsOf);
  const draws: Draw[] = [];
  group.forEach((row, index) => {
    if (row.done + pieces[index]! === row.ids.length)
      for (const sequence of row.sequences)
        draws.push(planDraw(sequence, index, config.vocabSize, context.samplerInGraph));
  });
  let out;
  try {
    out = await context.step({ ...tokens, past, sampling: context.samplerInGraph ? samplingFeed(draws) : undefined });
  } finally {
    if (!direct) cache.discard(past);
  }
  let next = 0;
  const completed: PrefillRow[] = [];
  group.forEach((row, index) => {
    const piece = pieces[index]!;
    const newSlots = Array.from({ length: piece }, (_, position) => pastSlots + longest - piece + position);
    moveCache(row, { block: out.present, row: index, slots: [...pastSlotsOf[index]!, ...newSlots] });
    row.done += piece;
    if (row.done === row.ids.length) completed.push(row);
  });
  try {
    const tokens = await resolveDraws(draws, out.samples, out.logits, config.vocabSize);
    for (const row of completed) {
      row.tokens = tokens.slice(next, next + row.sequences.length);
      next += row.sequences.length;
    }
  } finally {
    out.logits.dispose();
  }
}
