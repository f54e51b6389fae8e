import { InvalidInputError } from '@research-ts/spec';
import { expectLength, type MaskArray, type RealArray } from './batch-shape';

/**
 * Checks the `tokenWeights` option of `computeActorLoss`, the rollout correction's importance weights that scale
 * each token's policy-loss term: `[batch, responseLength]`, and finite and ≥ 0 on every token with mask ≠ 0.
 * Tokens with mask 0 are not read (a NaN or a negative value there is allowed, as in the other arrays).
 *
 * How each loss applies them (verl's `core_algos.py`, every `compute_policy_loss_*` given `rollout_is_weights`):
 * vanilla, dapo, gspo, cispo, sapo, clip-cov and kl-cov multiply the per-token loss `L_t` by `w_t` before the
 * aggregation, so `d loss / d logprob_t` of the surrogate is `w_t` times the unweighted one; geo-mean, one loss per
 * sequence, multiplies it by the geometric mean of the row's weights (see `geoMeanKernel`). The KL and entropy
 * terms and the metrics ignore the weights.
 *
 * @param tokenWeights `[batch, responseLength]`
 * @param mask `[batch, responseLength]`, already checked
 * @throws InvalidInputError naming `tokenWeights`, and the row and position of the first bad weight
 */
export function checkTokenWeights(tokenWeights: RealArray, mask: MaskArray, responseLength: number): void {
  expectLength('tokenWeights', tokenWeights, mask.length, '[batch, responseLength]');
  for (let index = 0; index < mask.length; index++) {
    if (mask[index] === 0) continue;
    const weight = tokenWeights[index]!;
    if (weight >= 0 && weight < Number.POSITIVE_INFINITY) continue;
    const row = Math.floor(index / responseLength);
    throw new InvalidInputError(
      `must be finite and ≥ 0 on every token in the loss, got ${weight} at row ${row}, position ${index - row * responseLength}`,
      { field: 'tokenWeights' },
    );
  }
}
