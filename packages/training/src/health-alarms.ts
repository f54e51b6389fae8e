import { InvalidConfigError, InvalidInputError, type ConfigIssue } from '@research-ts/spec';
import { createHealthSeries, healthChecks, observeSeries } from './health-alarms-checks';

/** The training-health alarms; {@link healthAlarmKinds} describes each. */
export type HealthAlarmKind =
  | 'entropy-collapse'
  | 'format-failures'
  | 'no-searches'
  | 'search-runaway'
  | 'reward-collapse'
  | 'grad-norm-spike'
  | 'skipped-steps'
  | 'no-reward-variance';

/** One alarm, raised once per episode (see {@link HealthThresholds.rearmSteps}). */
export interface HealthAlarm {
  kind: HealthAlarmKind;
  /** The training step at which the episode began. */
  step: number;
  /** One line: what crossed which threshold, and what it usually means. */
  message: string;
  /** The measured value (a moving average, a count, or a gradient norm, which may be NaN or ±Infinity). */
  value: number;
  /** The threshold it crossed, in the value's unit. */
  threshold: number;
}

/** The thresholds of every alarm; the defaults are in {@link healthAlarmKinds} and {@link healthAlarmSettings}. */
export interface HealthThresholds {
  /** Steps in each moving average (reward, entropy, format share, searches, reward std). */
  window: number;
  /** Steps in a row without an alarm's condition before that alarm can be raised again: one alarm per episode. */
  rearmSteps: number;
  /** The first steps whose mean is a metric's early value (entropy, searches per rollout). */
  baselineSteps: number;
  /**
   * A moving-average reward at or above this counts as a learned task: a near-deterministic policy and a reward
   * spread of 0 are then expected, so `entropy-collapse` and `no-reward-variance` stay silent.
   */
  solvedReward: number;
  /** Alarms never raised. */
  disabled: readonly HealthAlarmKind[];
  'entropy-collapse': { fraction: number; floor: number };
  'format-failures': { armedAt: number; drop: number };
  'no-searches': { armedAt: number; floor: number };
  'search-runaway': { budget: number | undefined; budgetShare: number; growth: number };
  'reward-collapse': { drop: number; fraction: number };
  'grad-norm-spike': { factor: number; minNorm: number; history: number; minHistory: number };
  'skipped-steps': { count: number; steps: number };
  'no-reward-variance': { stdFloor: number };
}

/** Thresholds to override; every field is optional and defaults as in {@link defaultHealthThresholds}. */
export type HealthThresholdOptions = Partial<Omit<HealthThresholds, HealthAlarmKind>> & {
  [Kind in HealthAlarmKind]?: Partial<HealthThresholds[Kind]>;
};

/** What an alarm catches, its default thresholds, and where the failure is documented. */
export interface HealthAlarmKindRule<Defaults> {
  readonly description: string;
  readonly defaults: Defaults;
  readonly source: string;
}

/** The alarms; `satisfies` makes the compiler demand one entry per {@link HealthAlarmKind}, with every threshold. */
export const healthAlarmKinds = {
  'entropy-collapse': {
    description:
      'The moving-average token entropy falls below `max(floor, fraction × its early value)` while the moving-average reward is below `solvedReward`: the policy stopped exploring before it learned the task, and its reward plateaus.',
    defaults: { fraction: 0.1, floor: 0.01 },
    source:
      'DAPO (Yu et al. 2025, arXiv:2503.14476): naive GRPO suffers entropy collapse, which Clip-Higher answers; Cui et al. 2025 (arXiv:2505.22617): RL performance saturates as policy entropy is used up. Our EXPERIMENTS.md: runs 12, J, L2, R1 and T1 plateau at a reward of 0.5–0.67 with entropy 0.03–0.05. The gate: the demo (run H1) ends at entropy 0.03 with a reward of 0.97, and its entropy passes 10 % of the early value only at a moving reward of 0.89.',
  },
  'format-failures': {
    description:
      'Once the moving-average share of rollouts with a valid tag format has reached `armedAt`, it falls more than `drop` below its best: more rollouts break the format (often the first sign of degenerate output).',
    defaults: { armedAt: 0.9, drop: 0.1 },
    source:
      'ConvSearch-R1 issue #6 (a GRPO run whose reward drops to 0 while the model writes multilingual gibberish); verl issue #1066 (nonsense output before a crash). Our EXPERIMENTS.md run QA: steps 2–5 near 0 from format failures right after a warm-up whose format share was 0.99. The demo’s moving format share never falls below 0.95.',
  },
  'no-searches': {
    description:
      'Once the policy searched (moving-average searches per rollout reached `armedAt`), the moving average falls below `floor`: the policy answers without searching.',
    defaults: { armedAt: 0.5, floor: 0.1 },
    source:
      'Wang et al. 2025, “Beyond Outcome Reward: Decoupling Search and Answering” (arXiv:2510.04695): outcome-only RL leaves search agents that fail to invoke the search tool. Our EXPERIMENTS.md: held-out EM with a retriever that returns nothing is ≤ 0.015 for the demo, so a policy that stops searching stops reading.',
  },
  'search-runaway': {
    description:
      'Moving-average searches per rollout reach `budgetShare × budget` (the searches a rollout may make, when a turn limit sets one) or `growth × max(early value, 1)`: the policy searches until the budget runs out instead of answering.',
    defaults: { budget: undefined, budgetShare: 0.9, growth: 4 },
    source:
      'Our EXPERIMENTS.md run QA3: at step ~45 a collapse into endless searching (12–18 searches per rollout from ~2.5), reward 0 from step 56, no recovery; and “Stability beats speed” (lr 3e-3: no EOS, endless searches, reward 0). arXiv:2510.04695 counts redundant searches among the deficiencies of outcome-only RL. The demo stays at 1.9–3.0 searches from an early 2.4.',
  },
  'reward-collapse': {
    description:
      'The moving-average reward (over a full window) falls below its best by more than `min(drop, fraction × best)`: the GRPO collapse after a peak.',
    defaults: { drop: 0.2, fraction: 0.5 },
    source:
      'Search-R1 issues #88 and #89 (GRPO runs that collapse after ~160 and ~600 steps; the maintainer reports the same GRPO collapse) and #92 (cited with #88 by ZeroSearch issue #23, which sees it too); ConvSearch-R1 issue #6 (reward from ~1.3 to 0 at step ~270); Agent-R1 issue #8. Our EXPERIMENTS.md run QA3 (0.13–0.20, then 0 from step 56). The demo’s moving reward dips at most 0.04 below its best.',
  },
  'grad-norm-spike': {
    description:
      'The gradient norm (before clipping) is not finite, or exceeds `max(factor × the median of the last history norms, minNorm)` once `minHistory` norms were seen. `minNorm` (a tenth of the default clip, 1.0) keeps the steps after a stretch of zero-advantage steps, whose norms are near 0, from making any ordinary norm a spike.',
    defaults: { factor: 10, minNorm: 0.1, history: 50, minHistory: 10 },
    source:
      'verl issue #1066 (sudden gradient-norm and entropy spikes, then nonsense output and a crash); verl PR #2328 (gradient spikes orders of magnitude above the normal range, and an option to skip such updates); TRL issue #2980 (GRPO grad_norm spiking late in training). A non-finite norm makes createGrpoTrainer skip the step. The demo’s largest norm is 4× the running median.',
  },
  'skipped-steps': {
    description:
      'At least `count` of the last `steps` steps were skipped (a non-finite reward, loss or gradient norm, or no loss token): those steps train nothing.',
    defaults: { count: 3, steps: 10 },
    source:
      'createGrpoTrainer’s skip reasons (packages/training README); Search-R1 GRPO runs whose entropy and KL losses are sometimes NaN (Awesome-ML-SYS-Tutorial issue #159); verl PR #2328 (skipped updates as the answer to gradient spikes).',
  },
  'no-reward-variance': {
    description:
      'The moving-average reward standard deviation over the step’s rollouts falls below `stdFloor` (a full window) while the moving-average reward is below `solvedReward`: every rollout scores the same, GRPO’s advantages are 0 and the updates carry no signal.',
    defaults: { stdFloor: 0.01 },
    source:
      'DAPO (arXiv:2503.14476), Dynamic Sampling: a group whose rollouts all score the same has zero advantage and gives no gradient. Our EXPERIMENTS.md “Stability beats speed”: a bad attractor with reward 0 and zero advantages has no way back. The demo’s moving reward std stays ≥ 0.11.',
  },
} as const satisfies { [Kind in HealthAlarmKind]: HealthAlarmKindRule<HealthThresholds[Kind]> };

/** The values a threshold may take and what it means, as a config schema can use them (`.refine`, `.describe`). */
export interface HealthThresholdRule {
  holds(value: number): boolean;
  /** The rule in words (`must be an integer ≥ 1`), for the error that names the threshold. */
  readonly rule: string;
  readonly description: string;
}

type SharedSetting = Exclude<keyof HealthThresholds, HealthAlarmKind | 'disabled'>;

/** A kind of threshold: what it `holds` and the rule in words; given a description, the threshold's rule. */
const thresholdRule =
  (holds: (value: number) => boolean, rule: string) =>
  (description: string): HealthThresholdRule => ({ holds, rule, description });
const positiveInteger = thresholdRule((value) => Number.isInteger(value) && value >= 1, 'must be an integer ≥ 1');
const nonNegative = thresholdRule((value) => value >= 0 && Number.isFinite(value), 'must be a finite number ≥ 0');
const positive = thresholdRule((value) => value > 0 && Number.isFinite(value), 'must be a finite number > 0');
const share = thresholdRule((value) => value > 0 && value <= 1, 'must be in (0, 1]');
const factor = thresholdRule((value) => value > 1 && Number.isFinite(value), 'must be a finite number > 1');

/** The shared settings' defaults (each alarm's own are in {@link healthAlarmKinds}). */
export const healthAlarmSettings = {
  window: 10,
  rearmSteps: 10,
  baselineSteps: 5,
  solvedReward: 0.8,
} as const satisfies Record<SharedSetting, number>;

/** The rule of every numeric threshold; `satisfies` demands one per field. */
export const healthThresholdRules = {
  window: positiveInteger('Steps in each moving average.'),
  rearmSteps: positiveInteger('Steps in a row without its condition before an alarm can be raised again.'),
  baselineSteps: positiveInteger('The first steps whose mean is the early value of entropy and searches.'),
  solvedReward: {
    holds: Number.isFinite,
    rule: 'must be a finite number',
    description:
      'A moving reward at or above this is a learned task: entropy collapse and zero reward spread are then expected (the demo’s goal, 0.8).',
  },
  'entropy-collapse': {
    fraction: share('Alarm below this fraction of the early entropy.'),
    floor: nonNegative('Alarm below this entropy in nats per token, whatever the early value.'),
  },
  'format-failures': {
    armedAt: share('The format share the moving average must have reached first.'),
    drop: share('Alarm when the moving format share falls this far below its best.'),
  },
  'no-searches': {
    armedAt: positive('Searches per rollout the moving average must have reached first.'),
    floor: nonNegative('Alarm below this many searches per rollout.'),
  },
  'search-runaway': {
    budget: positive('The most searches a rollout can make (maxTurns − 1); unset: only the growth rule.'),
    budgetShare: share('Alarm at this share of the search budget.'),
    growth: factor('Alarm at this multiple of the early searches per rollout (at least 1).'),
  },
  'reward-collapse': {
    drop: positive('Alarm when the moving reward falls this far below its best (reward units).'),
    fraction: share('…or this fraction of its best, whichever is smaller.'),
  },
  'grad-norm-spike': {
    factor: factor('Alarm above this multiple of the running median gradient norm.'),
    minNorm: nonNegative('Norms at or below this are never a spike.'),
    history: positiveInteger('Finite norms in the running median.'),
    minHistory: positiveInteger('Norms seen before a spike can be called.'),
  },
  'skipped-steps': {
    count: positiveInteger('Alarm at this many skipped steps…'),
    steps: positiveInteger('…among the last this many steps.'),
  },
  'no-reward-variance': {
    stdFloor: nonNegative('Alarm below this moving reward standard deviation.'),
  },
} as const satisfies Record<SharedSetting, HealthThresholdRule> & {
  [Kind in HealthAlarmKind]: { [Field in keyof HealthThresholds[Kind]]-?: HealthThresholdRule };
};

const alarmKinds = Object.keys(healthAlarmKinds) as HealthAlarmKind[];

/** Every default threshold: {@link healthAlarmSettings}, no alarm disabled, and each alarm's defaults. */
export const defaultHealthThresholds: HealthThresholds = {
  ...healthAlarmSettings,
  disabled: [],
  ...(Object.fromEntries(alarmKinds.map((kind) => [kind, { ...healthAlarmKinds[kind].defaults }])) as {
    [Kind in HealthAlarmKind]: HealthThresholds[Kind];
  }),
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkNumber(path: string, value: unknown, rule: HealthThresholdRule, issues: ConfigIssue[]): void {
  if (typeof value !== 'number' || Number.isNaN(value) || !rule.holds(value))
    issues.push({ path, problem: `${rule.rule}, got ${typeof value === 'string' ? `"${value}"` : String(value)}` });
}

function checkGroup(
  path: string,
  value: unknown,
  rules: Record<string, HealthThresholdRule>,
  issues: ConfigIssue[],
): void {
  if (!isRecord(value)) {
    issues.push({ path, problem: `must be an object, got ${String(value)}` });
    return;
  }
  for (const [field, entry] of Object.entries(value)) {
    const rule = Object.hasOwn(rules, field) ? rules[field] : undefined;
    if (rule === undefined)
      issues.push({ path: `${path}.${field}`, problem: `is not a threshold (${Object.keys(rules).join(', ')})` });
    else if (entry !== undefined) checkNumber(`${path}.${field}`, entry, rule, issues);
  }
}

/**
 * The thresholds with `options` over the defaults, checked without a schema library: every bad field is named by
 * its path (`path.entropy-collapse.fraction`) in one {@link InvalidConfigError}, unknown fields included.
 */
export function resolveHealthThresholds(options: HealthThresholdOptions = {}, path = 'thresholds'): HealthThresholds {
  const issues: ConfigIssue[] = [];
  if (!isRecord(options)) throw new InvalidConfigError(path, `must be an object, got ${String(options)}`);
  for (const [field, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (field === 'disabled') {
      if (!Array.isArray(value)) issues.push({ path: `${path}.disabled`, problem: 'must be an array of alarm kinds' });
      else
        value.forEach((kind, index) => {
          if (!alarmKinds.includes(kind as HealthAlarmKind))
            issues.push({ path: `${path}.disabled.${index}`, problem: `is not an alarm (${alarmKinds.join(', ')})` });
        });
    } else if (Object.hasOwn(healthAlarmKinds, field))
      checkGroup(`${path}.${field}`, value, healthThresholdRules[field as HealthAlarmKind], issues);
    else if (Object.hasOwn(healthAlarmSettings, field))
      checkNumber(`${path}.${field}`, value, healthThresholdRules[field as SharedSetting], issues);
    else
      issues.push({
        path: `${path}.${field}`,
        problem: `is not a threshold (${[...Object.keys(healthAlarmSettings), 'disabled', ...alarmKinds].join(', ')})`,
      });
  }
  if (issues.length > 0) throw InvalidConfigError.ofIssues(issues);
  const defined = <T extends object>(value: T | undefined) =>
    Object.fromEntries(Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined)) as Partial<T>;
  const resolved = { ...defaultHealthThresholds, ...defined(options) } as HealthThresholds;
  for (const kind of alarmKinds)
    Object.assign(resolved, { [kind]: { ...defaultHealthThresholds[kind], ...defined(options[kind]) } });
  resolved.disabled = [...resolved.disabled];
  const related = relatedFieldIssues(resolved, path);
  if (related.length > 0) throw InvalidConfigError.ofIssues(related);
  return resolved;
}

/** The rules between two thresholds, checked on the resolved values. */
function relatedFieldIssues(thresholds: HealthThresholds, path: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const spike = thresholds['grad-norm-spike'];
  if (spike.minHistory > spike.history)
    issues.push({ path: `${path}.grad-norm-spike.minHistory`, problem: `must be ≤ history (${spike.history})` });
  const skipped = thresholds['skipped-steps'];
  if (skipped.count > skipped.steps)
    issues.push({ path: `${path}.skipped-steps.count`, problem: `must be ≤ steps (${skipped.steps})` });
  const searches = thresholds['no-searches'];
  if (searches.floor >= searches.armedAt)
    issues.push({ path: `${path}.no-searches.floor`, problem: `must be < armedAt (${searches.armedAt})` });
  return issues;
}

/**
 * The fields of one `kind: 'train'` line of `metrics.jsonl` that the monitor reads, as `train.ts` passes them to
 * `metrics.write` or as they are read back (a non-finite number written as the string `"NaN"`, `"Infinity"`). A
 * missing or non-numeric field leaves the alarms that read it where they were.
 */
export interface HealthStepRecord {
  step: number;
  /** `{ mean, std }` over the step's rollouts. */
  reward?: unknown;
  /** `{ format }`: the share of the step's rollouts with a valid tag format. */
  rewardComponents?: unknown;
  entropy?: unknown;
  searchesPerRollout?: unknown;
  gradNorm?: unknown;
  /** The skip reason of a skipped step (`'non-finite-grad-norm'`, …), else `null`. */
  skipped?: unknown;
}

/** Watches one run's steps; see {@link createHealthMonitor}. */
export interface HealthMonitor {
  /** The resolved thresholds. */
  readonly thresholds: HealthThresholds;
  /** Takes the next step's record (steps must increase) and returns the alarms whose episode begins at it. */
  observe(record: HealthStepRecord): HealthAlarm[];
  /** The alarms whose episode is still open (their condition held within the last `rearmSteps` steps). */
  activeAlarms(): HealthAlarmKind[];
}

/**
 * A training-health monitor: pure and incremental, it keeps moving averages of the metrics the trainer writes per
 * step and raises each {@link healthAlarmKinds} alarm once per episode: the first step at which its condition
 * holds opens the episode, and only `rearmSteps` steps in a row without the condition close it. Options are
 * checked when it is created ({@link resolveHealthThresholds}; `path` names them in the error, e.g. `health` for a
 * config section). To resume a run, feed it the kept steps again and drop what it returns (those alarms are
 * already written).
 */
export function createHealthMonitor(options: HealthThresholdOptions = {}, path = 'thresholds'): HealthMonitor {
  const thresholds = resolveHealthThresholds(options, path);
  const series = createHealthSeries();
  const episodes = new Map<HealthAlarmKind, { quietSteps: number }>();
  const enabled = alarmKinds.filter((kind) => !thresholds.disabled.includes(kind));
  let lastStep = -Infinity;
  return {
    thresholds,
    observe(record) {
      const { step } = record;
      if (!Number.isFinite(step) || step <= lastStep)
        throw new InvalidInputError(`steps must be finite and increase: got ${step} after ${lastStep}`, {
          field: 'step',
        });
      lastStep = step;
      observeSeries(series, thresholds, record);
      const raised: HealthAlarm[] = [];
      for (const kind of enabled) {
        const verdict = healthChecks[kind](series, thresholds);
        if (verdict === undefined) continue;
        const episode = episodes.get(kind);
        if (verdict.firing) {
          if (episode === undefined) raised.push({ kind, step, ...verdict.alarm });
          episodes.set(kind, { quietSteps: 0 });
        } else if (episode !== undefined && ++episode.quietSteps >= thresholds.rearmSteps) episodes.delete(kind);
      }
      return raised;
    },
    activeAlarms: () => [...episodes.keys()],
  };
}
