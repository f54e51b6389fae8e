import type { FeedTensor } from '../backend/onnxruntime';

/** The new tokens of one run of a generation graph: `rows` rows of `inputIds.length / rows` tokens each. */
export interface StepTokens {
  inputIds: readonly number[];
  /** Each new token's position in its sequence, same layout as `inputIds`. */
  positions: readonly number[];
  rows: number;
  /** `[rows, past slots + new tokens]`: 1 where a past slot or new token is real. */
  mask: Uint8Array;
}

/** The `input_ids`, `position_ids` and `attention_mask` feeds of a run whose cache has `pastSlots` slots per row. */
export function stepTokenFeeds(
  tokens: StepTokens,
  pastSlots: number,
): Record<'input_ids' | 'position_ids' | 'attention_mask', FeedTensor> {
  const { rows, mask } = tokens;
  const sequence = tokens.inputIds.length / rows;
  const maskFeed = new BigInt64Array(mask.length);
  for (let index = 0; index < mask.length; index++) if (mask[index] === 1) maskFeed[index] = 1n;
  return {
    input_ids: { data: BigInt64Array.from(tokens.inputIds, BigInt), dims: [rows, sequence] },
    position_ids: { data: BigInt64Array.from(tokens.positions, BigInt), dims: [rows, sequence] },
    attention_mask: { data: maskFeed, dims: [rows, pastSlots + sequence] },
  };
}

/** A decode step's attention mask `[rows, slots + 1]`: each row's past mask `[rows, slots]` as it is, then the new token. */
export function withNewTokenSlot(past: Uint8Array, rows: number, slots: number): Uint8Array {
  const mask = new Uint8Array(rows * (slots + 1));
  for (let row = 0; row < rows; row++) {
    mask.set(past.subarray(row * slots, (row + 1) * slots), row * (slots + 1));
    mask[row * (slots + 1) + slots] = 1;
  }
  return mask;
}
