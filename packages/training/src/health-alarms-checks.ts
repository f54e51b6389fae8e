import type { HealthAlarm, HealthAlarmKind, HealthStepRecord, HealthThresholds } from './health-alarms';

/** A metric's last `window` finite values and its first `baselineSteps` ones. */
interface Track {
  recent: number[];
  early: number[];
}

/** What the health monitor keeps of the steps it has seen. */
export interface HealthSeries {
  reward: Track;
  rewardStd: Track;
  entropy: Track;
  format: Track;
  searches: Track;
  /** The best moving reward over a full window, and the step it ended at. */
  bestReward: { value: number; step: number } | undefined;
  /** The best moving format share. */
  bestFormat: number | undefined;
  /** The highest moving searches per rollout. */
  bestSearches: number | undefined;
  /** The skip reason of each of the last `skipped-steps.steps` steps (`null`: trained). */
  skipped: (string | null)[];
  /** This step's gradient norm (NaN or ±Infinity when not finite), `undefined` when the record has none. */
  gradNorm: number | undefined;
  /** The finite gradient norms of the earlier steps, the last `history` of them. */
  gradNormHistory: number[];
}

/** What a check says of a step: quiet, or firing with the alarm's numbers. `undefined`: not enough data yet. */
export type HealthVerdict =
  { firing: false } | { firing: true; alarm: Pick<HealthAlarm, 'message' | 'value' | 'threshold'> };

type HealthCheck = (series: HealthSeries, thresholds: HealthThresholds) => HealthVerdict | undefined;

const track = (): Track => ({ recent: [], early: [] });

export function createHealthSeries(): HealthSeries {
  return {
    reward: track(),
    rewardStd: track(),
    entropy: track(),
    format: track(),
    searches: track(),
    bestReward: undefined,
    bestFormat: undefined,
    bestSearches: undefined,
    skipped: [],
    gradNorm: undefined,
    gradNormHistory: [],
  };
}

/** A number as written to metrics.jsonl: a number, or a non-finite one as the string `"NaN"`, `"Infinity"`. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  return undefined;
}

const fieldOf = (value: unknown, field: string): number | undefined =>
  typeof value === 'object' && value !== null ? numberOf((value as Record<string, unknown>)[field]) : undefined;

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** The mean of the last `window` values (fewer before `window` steps), `undefined` before any. */
const movingMean = (series: Track) => (series.recent.length === 0 ? undefined : mean(series.recent));

/** The mean of the first `baselineSteps` values, once there are that many. */
const earlyMean = (series: Track, thresholds: HealthThresholds) =>
  series.early.length < thresholds.baselineSteps ? undefined : mean(series.early);

function push(series: Track, value: number | undefined, thresholds: HealthThresholds): void {
  if (value === undefined || !Number.isFinite(value)) return;
  series.recent.push(value);
  if (series.recent.length > thresholds.window) series.recent.shift();
  if (series.early.length < thresholds.baselineSteps) series.early.push(value);
}

const maximum = (best: number | undefined, value: number | undefined) =>
  value === undefined ? best : best === undefined ? value : Math.max(best, value);

/** Adds one step's record to the series (the checks then read the series). */
export function observeSeries(series: HealthSeries, thresholds: HealthThresholds, record: HealthStepRecord): void {
  push(series.reward, fieldOf(record.reward, 'mean'), thresholds);
  push(series.rewardStd, fieldOf(record.reward, 'std'), thresholds);
  push(series.entropy, numberOf(record.entropy), thresholds);
  push(series.format, fieldOf(record.rewardComponents, 'format'), thresholds);
  push(series.searches, numberOf(record.searchesPerRollout), thresholds);
  const reward = movingMean(series.reward);
  if (series.reward.recent.length === thresholds.window && reward! > (series.bestReward?.value ?? -Infinity))
    series.bestReward = { value: reward!, step: record.step };
  series.bestFormat = maximum(series.bestFormat, movingMean(series.format));
  series.bestSearches = maximum(series.bestSearches, movingMean(series.searches));
  series.skipped.push(typeof record.skipped === 'string' ? record.skipped : record.skipped === true ? 'skipped' : null);
  if (series.skipped.length > thresholds['skipped-steps'].steps) series.skipped.shift();
  if (series.gradNorm !== undefined && Number.isFinite(series.gradNorm)) {
    series.gradNormHistory.push(series.gradNorm);
    if (series.gradNormHistory.length > thresholds['grad-norm-spike'].history) series.gradNormHistory.shift();
  }
  series.gradNorm = numberOf(record.gradNorm);
}

/** Three significant digits, for messages. */
const show = (value: number | undefined) =>
  value === undefined ? '—' : Number.isFinite(value) ? String(Number(value.toPrecision(3))) : String(value);

const quiet: HealthVerdict = { firing: false };
const fire = (value: number, threshold: number, message: string): HealthVerdict => ({
  firing: true,
  alarm: { value, threshold, message },
});
const solved = (series: HealthSeries, thresholds: HealthThresholds) =>
  (movingMean(series.reward) ?? -Infinity) >= thresholds.solvedReward;
const lastSteps = (series: Track) => `mean of the last ${series.recent.length} steps`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One check per alarm, over the series after the step was added; `satisfies` demands one per kind. */
export const healthChecks = {
  'entropy-collapse'(series, thresholds) {
    const early = earlyMean(series.entropy, thresholds);
    const value = movingMean(series.entropy);
    if (early === undefined || value === undefined) return undefined;
    const { fraction, floor } = thresholds['entropy-collapse'];
    const threshold = Math.max(floor, fraction * early);
    if (value >= threshold || solved(series, thresholds)) return quiet;
    return fire(
      value,
      threshold,
      `entropy ${show(value)} nats per token (${lastSteps(series.entropy)}) is below ${show(threshold)} (${fraction} × the early ${show(early)}, at least ${floor}) with the reward at ${show(movingMean(series.reward))}: the policy stopped exploring before it learned the task`,
    );
  },
  'format-failures'(series, thresholds) {
    const value = movingMean(series.format);
    const best = series.bestFormat;
    if (value === undefined || best === undefined) return undefined;
    const { armedAt, drop } = thresholds['format-failures'];
    if (best < armedAt || value >= best - drop) return quiet;
    return fire(
      value,
      best - drop,
      `valid-format share ${show(value)} (${lastSteps(series.format)}) fell more than ${drop} below its best ${show(best)}: more rollouts break the tag format`,
    );
  },
  'no-searches'(series, thresholds) {
    const value = movingMean(series.searches);
    const best = series.bestSearches;
    if (value === undefined || best === undefined) return undefined;
    const { armedAt, floor } = thresholds['no-searches'];
    if (best < armedAt || value >= floor) return quiet;
    return fire(
      value,
      floor,
      `searches per rollout ${show(value)} (${lastSteps(series.searches)}), down from ${show(best)}: the policy answers without searching`,
    );
  },
  'search-runaway'(series, thresholds) {
    const value = movingMean(series.searches);
    if (value === undefined) return undefined;
    const { budget, budgetShare, growth } = thresholds['search-runaway'];
    const early = earlyMean(series.searches, thresholds);
    const limits: [number, string][] = [];
    if (budget !== undefined) limits.push([budgetShare * budget, `${budgetShare} × the budget of ${budget}`]);
    if (early !== undefined) limits.push([growth * Math.max(early, 1), `${growth} × the early ${show(early)}`]);
    if (limits.length === 0) return undefined;
    const [threshold, reason] = limits.reduce((lowest, limit) => (limit[0] < lowest[0] ? limit : lowest));
    if (value < threshold) return quiet;
    return fire(
      value,
      threshold,
      `searches per rollout ${show(value)} (${lastSteps(series.searches)}) reached ${show(threshold)} (${reason}): the policy searches on instead of answering`,
    );
  },
  'reward-collapse'(series, thresholds) {
    const best = series.bestReward;
    if (series.reward.recent.length < thresholds.window || best === undefined) return undefined;
    const value = movingMean(series.reward)!;
    const { drop, fraction } = thresholds['reward-collapse'];
    const allowed = Math.min(drop, fraction * best.value);
    if (best.value <= 0 || value >= best.value - allowed) return quiet;
    return fire(
      value,
      best.value - allowed,
      `reward ${show(value)} (${lastSteps(series.reward)}) is ${show(best.value - value)} below its best ${show(best.value)} (the ${thresholds.window} steps to step ${best.step}), more than ${show(allowed)}: the reward collapsed after its peak`,
    );
  },
  'grad-norm-spike'(series, thresholds) {
    const norm = series.gradNorm;
    if (norm === undefined) return undefined;
    const { factor, minNorm, minHistory } = thresholds['grad-norm-spike'];
    const history = series.gradNormHistory;
    const typical = history.length >= minHistory ? median(history) : undefined;
    const threshold = typical === undefined ? undefined : Math.max(factor * typical, minNorm);
    if (!Number.isFinite(norm))
      return fire(norm, threshold ?? minNorm, `gradient norm ${norm}: the step's update was skipped`);
    if (threshold === undefined || norm <= threshold) return quiet;
    return fire(
      norm,
      threshold,
      `gradient norm ${show(norm)} is above ${show(threshold)} (${factor} × the median ${show(typical)} of the last ${history.length} steps): an exploding gradient`,
    );
  },
  'skipped-steps'(series, thresholds) {
    const reasons = series.skipped.filter((reason): reason is string => reason !== null);
    const { count } = thresholds['skipped-steps'];
    if (reasons.length < count) return quiet;
    return fire(
      reasons.length,
      count,
      `${reasons.length} of the last ${series.skipped.length} steps were skipped (${[...new Set(reasons)].join(', ')}): they trained nothing`,
    );
  },
  'no-reward-variance'(series, thresholds) {
    if (series.rewardStd.recent.length < thresholds.window) return undefined;
    const value = movingMean(series.rewardStd)!;
    const { stdFloor } = thresholds['no-reward-variance'];
    if (value >= stdFloor || solved(series, thresholds)) return quiet;
    return fire(
      value,
      stdFloor,
      `reward std ${show(value)} (${lastSteps(series.rewardStd)}) with the reward at ${show(movingMean(series.reward))}: every rollout scores the same, so the advantages are 0 and the updates carry no signal`,
    );
  },
} satisfies Record<HealthAlarmKind, HealthCheck>;
