import type { TrainerConfigInput } from './trainer-config';

/** What an algorithm recipe sets: the loss, advantage, reward and sampling knobs of one published method. */
export interface AlgorithmRecipe {
  description: string;
  /** Where the values come from. */
  source: string;
  /** Merged over the preset and under the config file and `--set` (an explicit value wins over the recipe). */
  config: TrainerConfigInput;
}

/** The algorithms, in the order the help lists them (a tuple, so that the config schema can name them without a cycle). */
export const algorithmNames = ['grpo', 'dr-grpo', 'dapo', 'gspo', 'rloo', 'reinforce-pp'] as const;

export type AlgorithmName = (typeof algorithmNames)[number];

/**
 * The algorithms `--algorithm` (config `algorithm`) selects, each as the settings its reference run uses;
 * knobs a recipe does not name keep the preset's values (learning rate, batch sizes, budgets).
 */
export const algorithmRecipes = {
  grpo: {
    description:
      'GRPO as ReSearch trains it: group-normalised advantages, clipped surrogate 0.2, k3 KL loss 0.001, entropy 0.001, token-mean',
    source: 'research-paper §1.5 (ReSearch on verl); the schema defaults',
    config: {},
  },
  'dr-grpo': {
    description:
      'Dr.GRPO: no std scaling of the advantages, a constant normaliser instead of per-sequence means, no KL',
    source:
      'verl docs/algo/grpo.md "DrGRPO": loss_agg_mode=seq-mean-token-sum-norm, norm_adv_by_std_in_grpo=False, use_kl_loss=False',
    config: { advantage: { estimator: 'dr-grpo' }, loss: { aggregation: 'seq-mean-token-sum-norm', klCoefficient: 0 } },
  },
  dapo: {
    description:
      'DAPO: clip-higher (0.2 / 0.28), token-mean, no KL and no entropy bonus, dynamic sampling (groups whose rewards are all equal are dropped and refilled, up to 10 rounds), soft overlong punishment over the last fifth of the budget',
    source:
      'verl recipe/dapo/run_dapo_qwen2.5_32b.sh: clip_ratio_low 0.2, clip_ratio_high 0.28, kl 0, entropy_coeff 0, filter_groups (acc, max_num_gen_batches 10), overlong_buffer 4096 of 20480 tokens, penalty 1.0',
    config: {
      loss: {
        clipRatioLow: 0.2,
        clipRatioHigh: 0.28,
        klCoefficient: 0,
        entropyCoefficient: 0,
        aggregation: 'token-mean',
      },
      rollout: { dynamicSampling: { maxRounds: 10 } },
      reward: { overlongBuffer: { fraction: 0.2, penaltyFactor: 1 } },
    },
  },
  gspo: {
    description:
      'GSPO: the sequence-level importance ratio clipped to [1 − 3e-4, 1 + 4e-4], seq-mean-token-mean, no KL',
    source:
      'verl recipe/gspo/test_gspo_3b_math.sh: loss_mode gspo, clip_ratio_low 3e-4, clip_ratio_high 4e-4 (GSPO paper §5.1), seq-mean-token-mean, use_kl_loss false, entropy_coeff 0',
    config: {
      loss: {
        policyLoss: 'gspo',
        clipRatioLow: 3e-4,
        clipRatioHigh: 4e-4,
        klCoefficient: 0,
        entropyCoefficient: 0,
        aggregation: 'seq-mean-token-mean',
      },
    },
  },
  rloo: {
    description:
      'RLOO: leave-one-out baseline, no KL loss (verl’s example puts a k1 KL of 0.001 into the reward instead, which research-ts does not do)',
    source: 'verl examples/rloo_trainer/run_qwen2-7b.sh: adv_estimator rloo, use_kl_loss False',
    config: { advantage: { estimator: 'rloo' }, loss: { klCoefficient: 0 } },
  },
  'reinforce-pp': {
    description:
      'REINFORCE++: discounted token returns (γ = 1) whitened over the batch, k2 (mse) KL loss 0.001, no entropy bonus',
    source:
      'verl examples/reinforce_plus_plus_trainer/run_qwen2-7b_math_rf.sh: adv_estimator reinforce_plus_plus, kl_loss_type mse, kl_loss_coef 0.001, entropy_coeff 0',
    config: {
      advantage: { estimator: 'reinforce-plus-plus' },
      loss: { klCoefficient: 0.001, klEstimator: 'k2', entropyCoefficient: 0 },
    },
  },
} as const satisfies Record<AlgorithmName, AlgorithmRecipe>;
