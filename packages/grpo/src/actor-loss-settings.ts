import { InvalidConfigError } from '@research-ts/spec';
import type { ActorLossBatch, ActorLossOptions, PolicyLossSettings } from './actor-loss';
import { expectNumber } from './batch-shape';
import { klEstimatorRule, type KlEstimator, type KlEstimatorRule } from './kl-estimators';
import type { LossAggregation } from './loss-aggregation';
import {
  policyLossKnobs,
  policyLossRule,
  policyLosses,
  type PolicyLossDefaults,
  type PolicyLossName,
  type PolicyLossRule,
  type PolicyLossVariantSettings,
} from './policy-losses';
import type { ResolvedPolicyLossSettings } from './policy-losses-kernel';

/** ReSearch's recipe (verl config as in research-paper §1.5), the defaults of `computeActorLoss`. */
export const researchActorLossDefaults = {
  policyLoss: 'vanilla',
  clipLow: 0.2,
  clipHigh: 0.2,
  dualClip: undefined,
  logRatioClamp: 20,
  klEstimator: 'k3',
  klCoefficient: 0.001,
  entropyCoefficient: 0.001,
  aggregation: { mode: 'token-mean' },
} as const satisfies Required<
  Omit<ActorLossOptions, keyof ActorLossBatch | 'out' | 'dualClip' | keyof PolicyLossVariantSettings>
> & {
  dualClip: undefined;
};

/**
 * {@link researchActorLossDefaults} with the defaults of `policyLoss` over them (e.g. gspo: clip 3e-4 / 4e-4 and
 * seq-mean-token-mean): the defaults a trainer should spread under the user's options when it selects a loss.
 */
export function actorLossDefaultsFor(policyLoss: PolicyLossName) {
  return { ...researchActorLossDefaults, ...policyLossRule(policyLoss).defaults, policyLoss };
}

/** The values a loss knob may take, as the math of `computeActorLoss` states them. */
export interface LossSettingRule {
  holds(value: number): boolean;
  /** The rule in words (`must be in [0, 1)`), for the error that names the knob. */
  readonly rule: string;
}

/**
 * The admissible values of the loss knobs. A configuration can check its fields against these before
 * any work (a clip of 1 would clamp the ratio below at 0), and `computeActorLoss` and
 * `createGrpoTrainer` apply the same rules.
 */
export const actorLossSettingRules = {
  /** The ratio's lower bound `1 − clipLow` must stay above 0. */
  clipLow: { holds: (value) => value >= 0 && value < 1, rule: 'must be in [0, 1)' },
  clipHigh: { holds: (value) => value >= 0 && Number.isFinite(value), rule: 'must be a finite number ≥ 0' },
  dualClip: { holds: (value) => value > 1, rule: 'must be > 1 (verl asserts clip_ratio_c > 1)' },
  logRatioClamp: { holds: (value) => value > 0, rule: 'must be > 0 (Infinity for none)' },
  klCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
  entropyCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
  tauPositive: { holds: positiveFinite, rule: 'must be a finite number > 0' },
  tauNegative: { holds: positiveFinite, rule: 'must be a finite number > 0' },
  clipCovRatio: { holds: (value) => value > 0 && value <= 1, rule: 'must be in (0, 1] (verl asserts > 0)' },
  clipCovLower: { holds: () => true, rule: 'must be a number' },
  clipCovUpper: { holds: () => true, rule: 'must be a number' },
  clipCovSeed: {
    holds: (value) => Number.isInteger(value) && value >= 0 && value <= 0xffffffff,
    rule: 'must be an integer in [0, 2^32)',
  },
  klCovRatio: { holds: (value) => value > 0 && value <= 1, rule: 'must be in (0, 1] (verl asserts > 0)' },
  klCovCoefficient: { holds: Number.isFinite, rule: 'must be finite' },
} as const satisfies Record<
  Exclude<keyof PolicyLossSettings, 'policyLoss'> | 'klCoefficient' | 'entropyCoefficient',
  LossSettingRule
>;

function positiveFinite(value: number): boolean {
  return value > 0 && Number.isFinite(value);
}

/**
 * Throws an `InvalidConfigError` naming `prefix + knob` for the first knob that breaks {@link actorLossSettingRules},
 * for an unknown `policyLoss`, and for a loss-specific knob (`dualClip`, `tauPositive`, `clipCovRatio`, …) set
 * for a loss that does not read it.
 */
export function checkActorLossSettings(
  settings: Partial<Record<keyof typeof actorLossSettingRules, number | undefined>> & {
    policyLoss?: PolicyLossName | undefined;
  },
  prefix = '',
): void {
  const policyLoss = settings.policyLoss ?? researchActorLossDefaults.policyLoss;
  const lossRule = policyLossRule(policyLoss, `${prefix}policyLoss`);
  for (const [knob, { holds, rule }] of Object.entries(actorLossSettingRules) as [
    keyof typeof actorLossSettingRules,
    LossSettingRule,
  ][]) {
    const value = settings[knob];
    if (value !== undefined) expectNumber(`${prefix}${knob}`, value, holds, rule);
  }
  for (const knob of policyLossKnobs) {
    if (settings[knob] === undefined || (lossRule.reads as readonly string[]).includes(knob)) continue;
    const readers = Object.entries(policyLosses)
      .filter(([, rule]) => (rule.reads as readonly string[]).includes(knob))
      .map(([name]) => name);
    throw new InvalidConfigError(
      `${prefix}${knob}`,
      `is not read by policyLoss "${policyLoss}" (only by ${readers.join(', ')})`,
    );
  }
}

/** The knobs of one `computeActorLoss` call: each option, else the loss's default, else ReSearch's. */
export interface ResolvedActorLossSettings {
  lossRule: PolicyLossRule;
  clipLow: number;
  clipHigh: number;
  /** Undefined when off. */
  dualClip: number | undefined;
  logRatioClamp: number;
  klCoefficient: number;
  entropyCoefficient: number;
  aggregation: LossAggregation;
  klEstimator: KlEstimator;
  klRule: KlEstimatorRule;
  /** Every knob a policy-loss kernel reads (NaN for a knob the loss does not read). */
  kernelSettings: ResolvedPolicyLossSettings;
}

/**
 * Resolves the knobs of `options` and checks them ({@link checkActorLossSettings}); throws for an unknown
 * `policyLoss` or `klEstimator`.
 */
export function resolveActorLossSettings(options: ActorLossOptions): ResolvedActorLossSettings {
  const defaults = researchActorLossDefaults;
  const policyLoss = options.policyLoss ?? defaults.policyLoss;
  const lossRule = policyLossRule(policyLoss);
  const lossDefaults: PolicyLossDefaults = lossRule.defaults;
  const clipLow = options.clipLow ?? lossDefaults.clipLow ?? defaults.clipLow;
  const clipHigh = options.clipHigh ?? lossDefaults.clipHigh ?? defaults.clipHigh;
  const dualClip = options.dualClip;
  const logRatioClamp = options.logRatioClamp ?? lossDefaults.logRatioClamp ?? defaults.logRatioClamp;
  const klCoefficient = options.klCoefficient ?? defaults.klCoefficient;
  const entropyCoefficient = options.entropyCoefficient ?? defaults.entropyCoefficient;
  const aggregation = options.aggregation ?? lossDefaults.aggregation ?? defaults.aggregation;
  const klEstimator = options.klEstimator ?? defaults.klEstimator;
  const klRule = klEstimatorRule(klEstimator);
  const variantSettings = variantSettingsOf(options);
  checkActorLossSettings({
    policyLoss,
    clipLow,
    clipHigh,
    dualClip,
    logRatioClamp,
    klCoefficient,
    entropyCoefficient,
    ...variantSettings,
  });
  const pick = (knob: keyof PolicyLossVariantSettings) => variantSettings[knob] ?? lossDefaults[knob] ?? Number.NaN;
  const kernelSettings: ResolvedPolicyLossSettings = {
    clipLow,
    clipHigh,
    logRatioClamp,
    tauPositive: pick('tauPositive'),
    tauNegative: pick('tauNegative'),
    clipCovRatio: pick('clipCovRatio'),
    clipCovLower: pick('clipCovLower'),
    clipCovUpper: pick('clipCovUpper'),
    clipCovSeed: pick('clipCovSeed'),
    klCovRatio: pick('klCovRatio'),
    klCovCoefficient: pick('klCovCoefficient'),
  };
  const resolved = { clipLow, clipHigh, dualClip, logRatioClamp, klCoefficient, entropyCoefficient, aggregation };
  return { ...resolved, lossRule, klEstimator, klRule, kernelSettings };
}

/** The loss-specific knobs as passed (undefined when not). */
function variantSettingsOf(options: PolicyLossVariantSettings): PolicyLossVariantSettings {
  const { tauPositive, tauNegative, clipCovRatio, clipCovLower, clipCovUpper, clipCovSeed, klCovRatio } = options;
  return {
    tauPositive,
    tauNegative,
    clipCovRatio,
    clipCovLower,
    clipCovUpper,
    clipCovSeed,
    klCovRatio,
    klCovCoefficient: options.klCovCoefficient,
  };
}
