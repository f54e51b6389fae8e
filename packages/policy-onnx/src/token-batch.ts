import { InvalidInputError } from '@research-ts/spec';

/**
 * A right-padded batch of token sequences for the training graphs: `batch` rows of `seq` ids,
 * row-major. `attentionMask` (same layout) is 1 for tokens and 0 for padding, which must come after
 * every token of its row; omitted, every position is a token.
 */
export interface TokenBatch {
  /** `[batch · seq]` token ids. */
  inputIds: Int32Array | BigInt64Array | readonly number[];
  /** `[batch · seq]`, 1 = token, 0 = right padding. */
  attentionMask?: Int32Array | BigInt64Array | Uint8Array | readonly number[];
  batch: number;
  seq: number;
}

/** A checked batch as the graphs take it (int64). */
export interface Int64TokenBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  seq: number;
}

/**
 * Checks a `TokenBatch` against a vocabulary and converts it to int64: sizes agree, ids are integers
 * in `[0, vocabSize)`, the mask holds only 0 and 1 with padding only at the end of a row, and every
 * row has a token. Errors name the field and the first bad position.
 */
export function toInt64TokenBatch(batch: TokenBatch, vocabSize: number): Int64TokenBatch {
  const source = 'TokenBatch';
  if (!Number.isSafeInteger(batch.batch) || batch.batch < 1) throw new InvalidInputError(`must be a positive integer, got ${batch.batch}`, { source, field: 'batch' });
  if (!Number.isSafeInteger(batch.seq) || batch.seq < 2) throw new InvalidInputError(`must be an integer >= 2 (a logprob needs a token before it), got ${batch.seq}`, { source, field: 'seq' });
  const count = batch.batch * batch.seq;
  if (batch.inputIds.length !== count) throw new InvalidInputError(`holds ${batch.inputIds.length} ids; batch ${batch.batch} × seq ${batch.seq} needs ${count}`, { source, field: 'inputIds' });
  if (batch.attentionMask !== undefined && batch.attentionMask.length !== count) {
    throw new InvalidInputError(`holds ${batch.attentionMask.length} values; batch ${batch.batch} × seq ${batch.seq} needs ${count}`, { source, field: 'attentionMask' });
  }
  const inputIds = new BigInt64Array(count);
  const attentionMask = new BigInt64Array(count).fill(1n);
  for (let index = 0; index < count; index++) {
    const id = Number(batch.inputIds[index]!);
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new InvalidInputError(`id ${id} at ${index} is outside the vocabulary [0, ${vocabSize})`, { source, field: 'inputIds' });
    inputIds[index] = BigInt(id);
  }
  if (batch.attentionMask !== undefined) {
    for (let row = 0; row < batch.batch; row++) {
      let padding = false;
      for (let column = 0; column < batch.seq; column++) {
        const index = row * batch.seq + column;
        const value = Number(batch.attentionMask[index]!);
        if (value !== 0 && value !== 1) throw new InvalidInputError(`holds ${value} at ${index}; only 0 and 1 are allowed`, { source, field: 'attentionMask' });
        if (value === 1 && padding) throw new InvalidInputError(`row ${row} has a token after padding (at ${index}); pad on the right`, { source, field: 'attentionMask' });
        if (value === 0) padding = true;
        attentionMask[index] = BigInt(value);
      }
      if (attentionMask[row * batch.seq] === 0n) throw new InvalidInputError(`row ${row} has no token`, { source, field: 'attentionMask' });
    }
  }
  return { inputIds, attentionMask, batch: batch.batch, seq: batch.seq };
}
