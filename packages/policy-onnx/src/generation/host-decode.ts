import type { GenerateOptions } from '@research-ts/spec';
import {
  appendDecodeStep,
  decodeStepMask,
  growDecodeBatch,
  keepDecodeRows,
  unpackDecodeRow,
  type HostDecodeBatch,
} from './host-decode-batch';
import type { HostGenerationContext } from './host-generation-context';
import { sampleToken } from './sampling';
import { acceptToken } from './sequence';

/**
 * Decodes a batch on the host until every sequence is finished: per step one run of the inference graph
 * over the whole padded cache (grown when full), whose new keys and values are written into the batch
 * in place; each row samples its next token (`sampleToken`). A finished sequence's cache joins the pool at
 * once; its row stays in the batch (its outputs unread) until a quarter of the rows are finished, when the
 * batch is compacted in place (`keepDecodeRows`: each row keeps the slots it had).
 */
export async function decodeOnHost(
  context: HostGenerationContext,
  start: HostDecodeBatch,
  onText: GenerateOptions['onText'],
  signal: AbortSignal | undefined,
): Promise<void> {
  const { config, statistics } = context;
  let batch: HostDecodeBatch | undefined = start;
  let finishedRows = 0;
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
    statistics.decodedTokens += rows - finishedRows;
    appendDecodeStep(config, batch, out);
    for (let row = 0; row < rows; row++) {
      const sequence = sequences[row]!;
      if (sequence.result !== undefined) continue; // finished at an earlier step
      sequence.cachedIds.push(sequence.pending);
      const logits = out.logits.subarray(row * config.vocabSize, (row + 1) * config.vocabSize);
      if (!acceptToken(sequence, sampleToken(logits, sequence.settings, sequence.random), onText)) continue;
      context.pool.add(unpackDecodeRow(config, batch, row));
      finishedRows += 1;
    }
    if (4 * finishedRows >= rows) {
      const unfinished: number[] = [];
      for (let row = 0; row < rows; row++) if (sequences[row]!.result === undefined) unfinished.push(row);
      batch = unfinished.length > 0 ? keepDecodeRows(config, batch, unfinished) : undefined;
      finishedRows = 0;
    }
  }
}
