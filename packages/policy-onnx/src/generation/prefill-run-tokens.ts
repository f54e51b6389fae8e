import type { PrefillProgress } from './next-prefill-group';
import type { StepTokens } from './step-feeds';

/**
 * The new tokens of one prefill run over `group`: each row's next piece of at most `prefillChunk` tokens,
 * left-padded to `longest` so that every row's last position is real (the graph returns the last
 * position's logits), after a past of `pastSlots` slots of which row `index` uses `pastSlotsOf[index]`
 * (the others and the padding are masked). Returns the run's tokens and each row's piece.
 */
export function prefillRunTokens(
  group: readonly PrefillProgress[],
  longest: number,
  prefillChunk: number,
  pastSlots: number,
  pastSlotsOf: readonly (readonly number[])[],
): { tokens: StepTokens; pieces: number[] } {
  const rows = group.length;
  const width = pastSlots + longest;
  const inputIds = new Array<number>(rows * longest).fill(0);
  const positions = new Array<number>(rows * longest).fill(0);
  const mask = new Uint8Array(rows * width);
  const pieces = group.map((row, index) => {
    const piece = Math.min(row.ids.length - row.done, prefillChunk);
    const offset = longest - piece; // left padding of the new tokens
    for (let position = 0; position < piece; position++) {
      inputIds[index * longest + offset + position] = row.ids[row.done + position]!;
      positions[index * longest + offset + position] = row.done + position;
    }
    for (const slot of pastSlotsOf[index]!) mask[index * width + slot] = 1;
    mask.fill(1, index * width + pastSlots + offset, (index + 1) * width);
    return piece;
  });
  return { tokens: { inputIds, positions, rows, mask }, pieces };
}
