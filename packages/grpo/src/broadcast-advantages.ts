import { expectLength, rowCount, type MaskArray } from './batch-shape';

/**
 * Spreads one advantage per sequence over its response tokens: `out[i, t] = advantages[i] · mask[i, t]`
 * (verl: `scores.unsqueeze(-1) * response_mask`). A masked-out token gets exactly 0, even when the
 * advantage is not finite.
 *
 * @param advantages `[batch]`
 * @param mask `[batch, responseLength]` row-major
 * @returns `[batch, responseLength]` row-major
 */
export function broadcastAdvantages(
  advantages: ArrayLike<number>,
  mask: MaskArray,
  responseLength: number,
): Float32Array {
  const batch = rowCount('mask', mask, responseLength);
  expectLength('advantages', advantages, batch, '[batch]');
  const out = new Float32Array(batch * responseLength);
  for (let row = 0, offset = 0; row < batch; row++, offset += responseLength) {
    const advantage = advantages[row]!;
    for (let t = 0; t < responseLength; t++) {
      const m = mask[offset + t]!;
      out[offset + t] = m === 0 ? 0 : advantage * m;
    }
  }
  return out;
}
