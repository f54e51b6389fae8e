import type { GenerateOptions } from '@research-ts/spec';
import {
  appendDecodeStep,
  decodeStepMask,
  growDecodeBatch,
  packDecodeBatch,
  unpackDecodeRow,
  type HostDecodeBatch,
} from './host-decode-batch';
import type { HostGenerationContext } from './host-generation-context';
import type { SequenceCache } from './kv-cache-pool';
import { sampleToken } from './sampling';
import { acceptToken, type Sequence } from './sequence';

/**
 * Decodes a batch on the host until every sequence is finished: per step one run of the inference graph
 * over the whole padded cache (grown when full), whose new keys and values are written into the batch
 * in place; each row samples its next token (`sampleToken`). A finished sequence's cache joins the pool
 * and the others are packed into a new batch without its row.
 */
export async function decodeOnHost(
  context: HostGenerationContext,
  start: HostDecodeBatch,
  onText: GenerateOptions['onText'],
  signal: AbortSignal | undefined,
): Promise<void> {
  const { config, statistics } = context;
  let batch: HostDecodeBatch | undefined = start;
  while (batch !== undefined) {
    signal?.throwIfAborted();
    if (batch.slots === batch.capacity) batch = growDecodeBatch(config, batch);
    const { sequences } = batch;
    const rows = sequences.length;
    const out = await context.step({
      inputIds: sequences.map((sequence) => sequence.pending),
      positions: sequences.map((sequence) => sequence.cachedIds.length),
      rows,
      mask: decodeStepMask(batch),
      keys: batch.keys,
      values: batch.values,
      pastSlots: batch.capacity,
    });
    statistics.decodeSteps += 1;
    statistics.decodedTokens += rows;
    appendDecodeStep(config, batch, out);
    const finished: number[] = [];
    sequences.forEach((sequence, row) => {
      sequence.cachedIds.push(sequence.pending);
      const logits = out.logits.subarray(row * config.vocabSize, (row + 1) * config.vocabSize);
      if (acceptToken(sequence, sampleToken(logits, sequence.settings, sequence.random), onText)) finished.push(row);
    });
    if (finished.length > 0) batch = withoutFinished(context, batch, finished);
  }
}

/** The batch without its `finished` rows, whose caches join the pool; `undefined` when none is left. */
function withoutFinished(
  context: HostGenerationContext,
  batch: HostDecodeBatch,
  finished: readonly number[],
): HostDecodeBatch | undefined {
  const remaining: Sequence[] = [];
  const remainingCaches: SequenceCache[] = [];
  batch.sequences.forEach((sequence, row) => {
    const cache = unpackDecodeRow(context.config, batch, row);
    if (finished.includes(row)) context.pool.add(cache);
    else {
      remaining.push(sequence);
      remainingCaches.push(cache);
    }
  });
  return remaining.length > 0 ? packDecodeBatch(context.config, remaining, remainingCaches) : undefined;
}
