import { InvalidInputError, type TokenBatch } from '@research-ts/spec';

/** A checked `TokenBatch` as the training graphs take it (int64), `[batch · length]` row-major. */
export interface Int64TokenBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  length: number;
}

/**
 * Checks a spec `TokenBatch` against a vocabulary and converts it to int64: sizes agree, ids are
 * integers in `[0, vocabSize)`, the mask holds only 0 and 1 with padding only at the end of a row, and
 * every row has a token. Errors name the field and the first bad position.
 */
export function toInt64TokenBatch(batch: TokenBatch, vocabSize: number): Int64TokenBatch {
  const source = 'TokenBatch';
  const { length } = batch;
  if (!Number.isSafeInteger(batch.batch) || batch.batch < 1)
    throw new InvalidInputError(`must be a positive integer, got ${batch.batch}`, { source, field: 'batch' });
  if (!Number.isSafeInteger(length) || length < 2)
    throw new InvalidInputError(`must be an integer >= 2 (a logprob needs a token before it), got ${length}`, {
      source,
      field: 'length',
    });
  const count = batch.batch * length;
  if (batch.inputIds.length !== count)
    throw new InvalidInputError(
      `holds ${batch.inputIds.length} ids; batch ${batch.batch} × length ${length} needs ${count}`,
      { source, field: 'inputIds' },
    );
  if (batch.attentionMask?.length !== count) {
    throw new InvalidInputError(
      `holds ${batch.attentionMask?.length ?? 0} values; batch ${batch.batch} × length ${length} needs ${count}`,
      { source, field: 'attentionMask' },
    );
  }
  const inputIds = new BigInt64Array(count);
  const attentionMask = new BigInt64Array(count);
  for (let index = 0; index < count; index++) {
    const id = batch.inputIds[index]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new InvalidInputError(`id ${id} at ${index} is outside the vocabulary [0, ${vocabSize})`, {
        source,
        field: 'inputIds',
      });
    inputIds[index] = BigInt(id);
  }
  for (let row = 0; row < batch.batch; row++) {
    let padding = false;
    for (let column = 0; column < length; column++) {
      const index = row * length + column;
      const value = batch.attentionMask[index]!;
      if (value !== 0 && value !== 1)
        throw new InvalidInputError(`holds ${value} at ${index}; only 0 and 1 are allowed`, {
          source,
          field: 'attentionMask',
        });
      if (value === 1 && padding)
        throw new InvalidInputError(`row ${row} has a token after padding (at ${index}); pad on the right`, {
          source,
          field: 'attentionMask',
        });
      if (value === 0) padding = true;
      attentionMask[index] = BigInt(value);
    }
    if (attentionMask[row * length] === 0n)
      throw new InvalidInputError(`row ${row} has no token`, { source, field: 'attentionMask' });
  }
  return { inputIds, attentionMask, batch: batch.batch, length };
}
