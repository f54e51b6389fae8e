import { InvalidInputError } from '@research-ts/spec';
import { expectLength, expectNumber, rowCount, type MaskArray } from './batch-shape';

/**
 * DAPO's overlong filtering (Yu et al. 2025, §3.4): a response cut off at the generation limit has no
 * answer to score, so its tokens are dropped from the loss rather than punished.
 *
 * A sample is truncated when it used the whole budget (`responseLength ≥ maxResponseLength`) and did not
 * end by itself; without `finished`, reaching the budget is enough. TRL's `mask_truncated_completions`
 * calls a completion truncated when it holds no EOS token; `finished` carries that fact (EOS, or a stop
 * string), so a response that ended exactly at the limit is kept.
 *
 * @param options.responseLengths `[batch]` tokens generated per response
 * @param options.finished `[batch]` optional, true (or ≠ 0) where the response ended by itself
 * @returns `[batch]` 1 to keep the sample, 0 to drop it
 */
export function overlongFilterMask(options: {
  responseLengths: ArrayLike<number>;
  maxResponseLength: number;
  finished?: ArrayLike<boolean | number>;
}): Uint8Array {
  const { responseLengths, maxResponseLength, finished } = options;
  expectNumber(
    'overlong.maxResponseLength',
    maxResponseLength,
    (value) => Number.isFinite(value) && value > 0,
    'must be a finite number > 0',
  );
  if (finished !== undefined)
    expectLength('finished', finished as ArrayLike<number>, responseLengths.length, '[batch]');
  const keep = new Uint8Array(responseLengths.length);
  for (let index = 0; index < keep.length; index++) {
    const length = responseLengths[index]!;
    if (!(length >= 0)) {
      throw new InvalidInputError(`must be ≥ 0, got ${String(length)} at index ${index}`, { field: 'responseLengths' });
    }
    const ended = finished !== undefined && Boolean(finished[index]);
    keep[index] = length >= maxResponseLength && !ended ? 0 : 1;
  }
  return keep;
}

/**
 * Zeroes the rows of a loss mask whose sample is not kept: `out[i, t] = keep[i] ? mask[i, t] : 0`.
 *
 * @param mask `[batch, responseLength]`
 * @param keep `[batch]`, e.g. from {@link overlongFilterMask}
 * @returns a new mask of the same type
 */
export function dropSamples<Mask extends MaskArray>(
  mask: Mask,
  responseLength: number,
  keep: ArrayLike<boolean | number>,
): Mask {
  const batch = rowCount('mask', mask, responseLength);
  expectLength('keep', keep as ArrayLike<number>, batch, '[batch]');
  const out = mask.slice() as Mask;
  for (let row = 0; row < batch; row++) {
    if (!keep[row]) out.fill(0, row * responseLength, (row + 1) * responseLength);
  }
  return out;
}
