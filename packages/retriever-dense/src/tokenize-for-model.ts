import type { Tokenizer } from '@research-ts/spec';

/**
 * Token ids of `text` for an encoder, special tokens included, at most `maxLength` long. A longer text
 * is cut the way Hugging Face truncation does: the text's own tokens are cut from the end and the
 * special tokens the post-processor adds (`[CLS]` … `[SEP]`) are kept around them.
 */
export function tokenizeForModel(tokenizer: Pick<Tokenizer, 'encode'>, text: string, maxLength: number): number[] {
  const full = tokenizer.encode(text, { addSpecialTokens: true });
  if (full.length <= maxLength) return full;
  const bare = tokenizer.encode(text, { addSpecialTokens: false });
  const added = full.length - bare.length;
  const leading = findSubsequence(full, bare, Math.max(0, added));
  if (added < 0 || leading < 0 || added >= maxLength) return full.slice(0, maxLength);
  return [...full.slice(0, leading), ...bare.slice(0, maxLength - added), ...full.slice(leading + bare.length)];
}

/** The first offset `<= lastOffset` at which `part` occurs in `whole`, or -1. */
function findSubsequence(whole: readonly number[], part: readonly number[], lastOffset: number): number {
  for (let offset = 0; offset <= lastOffset; offset += 1) {
    let matches = true;
    for (let index = 0; index < part.length && matches; index += 1) matches = whole[offset + index] === part[index];
    if (matches) return offset;
  }
  return -1;
}

/** A padded batch: `[batch, sequence]` ids and mask, padding on the right. */
export interface PaddedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  /** The longest sequence of the batch (at least 1). */
  sequence: number;
}

/** Pads `sequences` on the right with `padId` to the longest one (at least one position). */
export function padBatch(sequences: ReadonlyArray<readonly number[]>, padId: number): PaddedBatch {
  const batch = sequences.length;
  let sequence = 1;
  for (const ids of sequences) sequence = Math.max(sequence, ids.length);
  const inputIds = new BigInt64Array(batch * sequence).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * sequence);
  sequences.forEach((ids, row) => {
    for (let position = 0; position < ids.length; position += 1) {
      inputIds[row * sequence + position] = BigInt(ids[position]!);
      attentionMask[row * sequence + position] = 1n;
    }
  });
  return { inputIds, attentionMask, batch, sequence };
}
