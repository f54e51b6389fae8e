import { InvalidInputError } from '@research-ts/spec';
import { expectNumber } from './batch-shape';

/**
 * DAPO's soft overlong punishment (Yu et al. 2025, eq. 13): with `L_max = maxResponseLength`,
 * `L_cache = bufferLength`, `f = penaltyFactor` and a response of `L` tokens,
 *
 * | length | penalty |
 * |---|---|
 * | `L ≤ L_max − L_cache` | `0` |
 * | `L_max − L_cache < L ≤ L_max` | `f · ((L_max − L_cache) − L) / L_cache`, from 0 down to `−f` |
 * | `L > L_max` | `−f` |
 *
 * The penalty is added to the response's score (verl adds it to the reward at the last response token).
 */
export interface OverlongPenaltyOptions {
  /** `L_max`, the generation limit in tokens (verl `data.max_response_length`). */
  maxResponseLength: number;
  /** `L_cache`, the interval before the limit where the penalty grows (verl `reward_model.overlong_buffer.len`). */
  bufferLength: number;
  /** `f`, the penalty at the limit (verl `reward_model.overlong_buffer.penalty_factor`). Default 1, as the paper and verl's DAPO recipe. */
  penaltyFactor?: number;
}

/** Checks the options (`InvalidConfigError` naming the field) and returns the penalty factor. */
function checkedFactor(options: OverlongPenaltyOptions): number {
  const { maxResponseLength, bufferLength } = options;
  const penaltyFactor = options.penaltyFactor ?? 1;
  expectNumber(
    'overlong.maxResponseLength',
    maxResponseLength,
    (value) => Number.isFinite(value) && value > 0,
    'must be a finite number > 0',
  );
  expectNumber(
    'overlong.bufferLength',
    bufferLength,
    (value) => value > 0 && value <= maxResponseLength,
    `must be in (0, maxResponseLength = ${maxResponseLength}]`,
  );
  expectNumber(
    'overlong.penaltyFactor',
    penaltyFactor,
    (value) => Number.isFinite(value) && value >= 0,
    'must be a finite number ≥ 0',
  );
  return penaltyFactor;
}

function penaltyOf(responseLength: number, maxResponseLength: number, bufferLength: number, factor: number): number {
  if (!(responseLength >= 0)) {
    throw new InvalidInputError(`must be a number ≥ 0, got ${String(responseLength)}`, { field: 'responseLength' });
  }
  const excess = responseLength - (maxResponseLength - bufferLength);
  if (excess <= 0 || factor === 0) return 0;
  return (-Math.min(excess, bufferLength) / bufferLength) * factor;
}

/**
 * The soft overlong penalty (≤ 0) of one response of `responseLength` tokens. Matches verl's DAPO reward
 * manager (`DAPORewardManager.__call__`, `min(−(L − (L_max − L_cache)) / L_cache · f, 0)`) for every
 * `L ≤ L_max`, the only lengths verl sees; beyond the limit it is the paper's constant `−f`.
 */
export function overlongPenalty(responseLength: number, options: OverlongPenaltyOptions): number {
  const factor = checkedFactor(options);
  return penaltyOf(responseLength, options.maxResponseLength, options.bufferLength, factor);
}

/**
 * {@link overlongPenalty} of each response.
 *
 * @param responseLengths `[batch]` tokens generated per response
 * @returns `[batch]` penalties (≤ 0) to add to the scores
 */
export function overlongPenalties(responseLengths: ArrayLike<number>, options: OverlongPenaltyOptions): Float64Array {
  const factor = checkedFactor(options);
  const out = new Float64Array(responseLengths.length);
  for (let index = 0; index < out.length; index++) {
    out[index] = penaltyOf(responseLengths[index]!, options.maxResponseLength, options.bufferLength, factor);
  }
  return out;
}
