import { appendNewSlots, cachePrefix, packCaches } from './host-cache-layout';
import type { HostGenerationContext } from './host-generation-context';
import type { SequenceCache } from './kv-cache-pool';
import { nextPrefillGroup } from './next-prefill-group';
import { prefillRunTokens } from './prefill-run-tokens';

/** What prefill gives one context: the logits after its last token and its contiguous cache. */
export interface HostPrefilled {
  logits: Float32Array;
  cache: SequenceCache;
}

/** A distinct context being prefilled: its contiguous cache of the first `done` tokens. */
interface PrefillRow {
  ids: readonly number[];
  done: number;
  keys: Float32Array[];
  values: Float32Array[];
  logits: Float32Array | undefined;
}

/**
 * Prefills contexts on the host in as few runs as possible: identical contexts are computed once; each
 * distinct one starts from the longest prefix in the pool (at most all but its last token) and its
 * uncached suffix joins a batched run. A run packs rows whose padded new tokens fit in `prefillChunk`
 * (a longer suffix goes on in pieces of at most `prefillChunk` tokens): past caches padded at the end of
 * each row's past slots, new tokens left-padded (`prefillRunTokens`); padding slots are masked.
 */
export async function prefillOnHost(
  context: HostGenerationContext,
  contexts: readonly (readonly number[])[],
  signal: AbortSignal | undefined,
): Promise<HostPrefilled[]> {
  const { rowsInOrder, distinct: pending } = rowsFromPool(context, contexts);
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const { group, longest } = nextPrefillGroup(pending, context.prefillChunk);
    await runPrefillGroup(context, group, longest);
    for (const row of group) if (row.done === row.ids.length) pending.splice(pending.indexOf(row), 1);
  }
  return rowsInOrder.map((row) => ({
    logits: row.logits!,
    cache: { tokenIds: [...row.ids], keys: row.keys, values: row.values },
  }));
}

/** One row per distinct context, starting from its longest pooled prefix; counts reused and prefilled tokens. */
function rowsFromPool(
  context: HostGenerationContext,
  contexts: readonly (readonly number[])[],
): { rowsInOrder: PrefillRow[]; distinct: PrefillRow[] } {
  const { config, pool, statistics } = context;
  const rowOf = new Map<string, PrefillRow>();
  const rowsInOrder = contexts.map((ids) => {
    const key = ids.join(',');
    const seen = rowOf.get(key);
    if (seen !== undefined) {
      statistics.reusedTokens += ids.length;
      return seen;
    }
    const match = pool.longestPrefix(ids, ids.length - 1);
    const cached = match?.length ?? 0;
    statistics.reusedTokens += cached;
    statistics.prefilledTokens += ids.length - cached;
    const prefix = (arrays: Float32Array[] | undefined) =>
      Array.from({ length: config.numHiddenLayers }, (_, layer) =>
        match === undefined
          ? new Float32Array(0)
          : cachePrefix(config, arrays![layer]!, match.entry.tokenIds.length, cached),
      );
    const row: PrefillRow = {
      ids,
      done: cached,
      keys: prefix(match?.entry.keys),
      values: prefix(match?.entry.values),
      logits: undefined,
    };
    rowOf.set(key, row);
    return row;
  });
  return { rowsInOrder, distinct: [...rowOf.values()] };
}

/** One prefill run over `group`, `longest` new tokens per row: extends each row's cache by its piece and keeps the logits of the rows it completes. */
async function runPrefillGroup(context: HostGenerationContext, group: PrefillRow[], longest: number): Promise<void> {
  const { config } = context;
  // At least one (masked) past slot: an empty cache makes zero-sized attention MatMuls/Splits, which
  // crash onnxruntime-node 1.30's webgpu provider (SIGSEGV, fused graph or not; H100, 2026-11-26).
  const pastSlots = Math.max(1, ...group.map((row) => row.done));
  const pastSlotsOf = group.map((row) => Array.from({ length: row.done }, (_, slot) => slot));
  const { tokens, pieces } = prefillRunTokens(group, longest, context.prefillChunk, pastSlots, pastSlotsOf);
  const past = packCaches(
    config,
    group.map((row) => ({ length: row.done, keys: row.keys, values: row.values })),
    pastSlots,
  );
  const out = await context.step({ ...tokens, keys: past.keys, values: past.values, pastSlots });
  group.forEach((row, index) => {
    // the row's cache ++ its real new tokens (the last `piece` of the `longest` new slots)
    const piece = pieces[index]!;
    row.keys = appendNewSlots(config, row.keys, row.done, out.keys, index, longest, piece);
    row.values = appendNewSlots(config, row.values, row.done, out.values, index, longest, piece);
    row.done += piece;
    if (row.done === row.ids.length)
      row.logits = out.logits.slice(index * config.vocabSize, (index + 1) * config.vocabSize);
  });
}
