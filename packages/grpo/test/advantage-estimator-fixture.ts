import type { AdvantageEstimator } from '../src/advantage-estimators';

/** `src/__fixtures__/advantage-estimators.json`, the worked tables of `tools/advantage-estimator-values.py`. */
export interface AdvantageEstimatorFixture {
  /** One batch of outcome scores and every sequence-level estimator's table over it. */
  sequence: {
    scores: number[];
    groupIds: string[];
    responseLength: number;
    mask: number[];
    tables: {
      estimator: AdvantageEstimator;
      knobs: { fNorm?: number };
      sampleAdvantages: number[] | null;
      advantages: number[];
    }[];
  };
  /** REINFORCE++ over per-token rewards, one table per case and γ. */
  reinforcePlusPlus: {
    responseLength: number;
    tables: {
      gamma: number;
      case: string;
      tokenRewards: number[];
      mask: number[];
      advantages: number[];
      returns: number[];
    }[];
  };
}
