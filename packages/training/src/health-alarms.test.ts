import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import demo from './__fixtures__/demo-train-metrics.json';
import {
  createHealthMonitor,
  defaultHealthThresholds,
  healthAlarmKinds,
  healthThresholdRules,
  resolveHealthThresholds,
  type HealthAlarmKind,
  type HealthMonitor,
  type HealthStepRecord,
  type HealthThresholdOptions,
} from './health-alarms';

/** Per-step values of a synthetic run; a field not given keeps a healthy value. */
interface Step {
  reward?: number;
  rewardStd?: number;
  format?: number;
  entropy?: number;
  searches?: number;
  gradNorm?: number | string;
  skipped?: string | null;
}

/** A train.ts metrics line (the fields the monitor reads, nested as train.ts writes them). */
const record = (step: number, values: Step = {}): HealthStepRecord => ({
  step,
  reward: { mean: values.reward ?? 0.5, std: values.rewardStd ?? 0.4, min: 0, max: 1 },
  rewardComponents: { f1: 0.4, format: values.format ?? 1 },
  entropy: values.entropy ?? 0.5,
  searchesPerRollout: values.searches ?? 2,
  gradNorm: values.gradNorm ?? 0.1,
  skipped: values.skipped ?? null,
});

/** Feeds `series[i]` as step i + 1 and returns every alarm as `kind@step`. */
function alarmsOf(monitor: HealthMonitor, series: readonly Step[]): string[] {
  return series.flatMap((values, index) =>
    monitor.observe(record(index + 1, values)).map((alarm) => `${alarm.kind}@${alarm.step}`),
  );
}

/** The steps of one field: `values[i]` at step i + 1. */
const steps = (field: keyof Step, values: readonly (number | string | null)[], rest: Step = {}): Step[] =>
  values.map((value) => ({ ...rest, [field]: value }));

const kinds = Object.keys(healthAlarmKinds) as HealthAlarmKind[];

describe('healthAlarmKinds', () => {
  it('describes every alarm, cites a source, and its defaults are the resolved defaults and keep their rules', () => {
    expect(kinds).toHaveLength(8);
    for (const kind of kinds) {
      const rule = healthAlarmKinds[kind];
      expect(rule.description.length, kind).toBeGreaterThan(60);
      expect(rule.source, kind).toMatch(/EXPERIMENTS\.md|arXiv:|issue/);
      expect(defaultHealthThresholds[kind], kind).toEqual(rule.defaults);
      for (const [field, value] of Object.entries(rule.defaults)) {
        const fieldRule = (healthThresholdRules[kind] as Record<string, { holds(value: number): boolean }>)[field]!;
        if (value !== undefined) expect(fieldRule.holds(value), `${kind}.${field}`).toBe(true);
      }
    }
    expect(resolveHealthThresholds()).toEqual(defaultHealthThresholds);
    expect(defaultHealthThresholds).toMatchObject({ window: 10, rearmSteps: 10, baselineSteps: 5, solvedReward: 0.8 });
  });
});

describe('resolveHealthThresholds', () => {
  it('lays options over the defaults, one alarm’s fields at a time', () => {
    const thresholds = resolveHealthThresholds({
      window: 20,
      'entropy-collapse': { fraction: 0.05 },
      'search-runaway': { budget: 4 },
      disabled: ['skipped-steps'],
    });
    expect(thresholds.window).toBe(20);
    expect(thresholds['entropy-collapse']).toEqual({ fraction: 0.05, floor: 0.01 });
    expect(thresholds['search-runaway']).toEqual({ budget: 4, budgetShare: 0.9, growth: 4 });
    expect(thresholds.disabled).toEqual(['skipped-steps']);
    expect(thresholds['reward-collapse']).toEqual(healthAlarmKinds['reward-collapse'].defaults);
    expect(resolveHealthThresholds({ 'search-runaway': { budget: undefined } })['search-runaway'].budget).toBe(
      undefined,
    );
  });

  it.each<[HealthThresholdOptions | Record<string, unknown>, string]>([
    [{ window: 0 }, 'config field "thresholds.window": must be an integer ≥ 1, got 0'],
    [{ window: 2.5 }, 'config field "thresholds.window": must be an integer ≥ 1, got 2.5'],
    [{ solvedReward: Number.NaN }, 'config field "thresholds.solvedReward": must be a finite number, got NaN'],
    [
      { 'entropy-collapse': { fraction: 1.5 } },
      'config field "thresholds.entropy-collapse.fraction": must be in (0, 1], got 1.5',
    ],
    [
      { 'entropy-collapse': { fraction: '0.1' } },
      'config field "thresholds.entropy-collapse.fraction": must be in (0, 1], got "0.1"',
    ],
    [
      { 'grad-norm-spike': { factor: 1 } },
      'config field "thresholds.grad-norm-spike.factor": must be a finite number > 1, got 1',
    ],
    [
      { 'search-runaway': { budget: 0 } },
      'config field "thresholds.search-runaway.budget": must be a finite number > 0, got 0',
    ],
    [{ 'reward-collapse': 0.2 }, 'config field "thresholds.reward-collapse": must be an object, got 0.2'],
    [
      { 'reward-collapse': { dorp: 0.2 } },
      'config field "thresholds.reward-collapse.dorp": is not a threshold (drop, fraction)',
    ],
    [
      { entropyFloor: 0.1 },
      'config field "thresholds.entropyFloor": is not a threshold (window, rearmSteps, baselineSteps, solvedReward, disabled, entropy-collapse,',
    ],
    [{ toString: 1 }, 'config field "thresholds.toString": is not a threshold'],
    [
      { 'no-searches': { constructor: 1 } },
      'config field "thresholds.no-searches.constructor": is not a threshold (armedAt, floor)',
    ],
    [{ disabled: ['reward-colapse'] }, 'config field "thresholds.disabled.0": is not an alarm (entropy-collapse,'],
    [
      { 'grad-norm-spike': { history: 5 } },
      'config field "thresholds.grad-norm-spike.minHistory": must be ≤ history (5)',
    ],
    [{ 'skipped-steps': { count: 20 } }, 'config field "thresholds.skipped-steps.count": must be ≤ steps (10)'],
    [{ 'no-searches': { floor: 1 } }, 'config field "thresholds.no-searches.floor": must be < armedAt (0.5)'],
  ])('names the bad field: %j', (options, message) => {
    expect(() => resolveHealthThresholds(options as HealthThresholdOptions)).toThrow(InvalidConfigError);
    expect(() => resolveHealthThresholds(options as HealthThresholdOptions)).toThrow(message);
  });

  it('reports every bad field at once, under the path it is given, and createHealthMonitor checks before any step', () => {
    let error: unknown;
    try {
      resolveHealthThresholds({ window: -1, 'format-failures': { drop: 0, armedAt: 2 } }, 'training.health');
    } catch (caught) {
      error = caught;
    }
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as InvalidConfigError).issues.map((issue) => issue.path)).toEqual([
      'training.health.window',
      'training.health.format-failures.drop',
      'training.health.format-failures.armedAt',
    ]);
    expect(() => createHealthMonitor({ rearmSteps: 0 })).toThrow('config field "thresholds.rearmSteps"');
    expect(() => createHealthMonitor({ 'grad-norm-spike': { minHistory: 60 } }, 'health')).toThrow(
      'config field "health.grad-norm-spike.minHistory": must be ≤ history (50)',
    );
  });
});

describe('createHealthMonitor on healthy curves', () => {
  it('raises nothing over the 320 steps of the demo run (apps/trainer EXPERIMENTS.md, run H1 / demo 4)', () => {
    const monitor = createHealthMonitor();
    const column = (field: string) => demo.fields.indexOf(field);
    const raised = demo.rows.flatMap((row) =>
      monitor.observe({
        step: row[column('step')] as number,
        reward: { mean: row[column('reward/mean')], std: row[column('reward/std')] },
        rewardComponents: { format: row[column('rewardComponents/format')] },
        entropy: row[column('entropy')],
        searchesPerRollout: row[column('searchesPerRollout')],
        gradNorm: row[column('gradNorm')],
        skipped: row[column('skipped')],
      }),
    );
    expect(demo.rows).toHaveLength(320);
    expect(raised).toEqual([]);
    expect(monitor.activeAlarms()).toEqual([]);
  });

  it('raises nothing on a synthetic rising curve that learns to search', () => {
    let state = 12345;
    const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.06;
    const series = Array.from({ length: 300 }, (_, index): Step => {
      const progress = 1 / (1 + Math.exp(-(index - 100) / 25));
      return {
        reward: 0.1 + 0.75 * progress + noise(),
        rewardStd: 0.35 + noise(),
        format: Math.min(1, 0.7 + 0.3 * progress + noise()),
        entropy: 0.9 - 0.5 * progress + noise(),
        searches: 0.2 + 1.8 * progress + noise(),
        gradNorm: 0.3 + 5 * noise(),
      };
    });
    expect(alarmsOf(createHealthMonitor(), series)).toEqual([]);
  });
});

describe('createHealthMonitor alarms', () => {
  it('entropy-collapse: below 0.1 × the early entropy while the reward is low, once per episode', () => {
    const monitor = createHealthMonitor({
      window: 2,
      baselineSteps: 2,
      rearmSteps: 3,
    });
    // threshold max(0.01, 0.1 × 0.5) = 0.05; moving means (2 steps): 0.5 0.5 0.4 0.2 0.07 0.04 0.04 0.27 0.5 0.5 0.5 0.26 0.02
    const entropy = [0.5, 0.5, 0.3, 0.1, 0.04, 0.04, 0.04, 0.5, 0.5, 0.5, 0.5, 0.02, 0.02];
    const raised: string[] = [];
    entropy.forEach((value, index) => {
      for (const alarm of monitor.observe(record(index + 1, { entropy: value, reward: 0.3 }))) {
        raised.push(`${alarm.kind}@${alarm.step}`);
        if (alarm.step === 6) {
          expect(alarm.value).toBeCloseTo(0.04, 12);
          expect(alarm.threshold).toBeCloseTo(0.05, 12);
          expect(alarm.message).toMatch(/^entropy 0\.04 nats per token \(mean of the last 2 steps\) is below 0\.05/);
        }
      }
      if (index + 1 === 7) expect(monitor.activeAlarms()).toEqual(['entropy-collapse']);
      if (index + 1 === 10) expect(monitor.activeAlarms()).toEqual([]);
    });
    // step 6 opens the episode, step 7 is inside it, steps 8–10 close it, step 13 opens a new one
    expect(raised).toEqual(['entropy-collapse@6', 'entropy-collapse@13']);
    // the same entropy on a learned task (moving reward ≥ solvedReward) is no alarm
    const solved = createHealthMonitor({ window: 2, baselineSteps: 2 });
    expect(alarmsOf(solved, steps('entropy', entropy, { reward: 0.85 }))).toEqual([]);
    // an absolute floor catches a run whose entropy started low
    const low = createHealthMonitor({ window: 2, baselineSteps: 2 });
    expect(alarmsOf(low, steps('entropy', [0.05, 0.05, 0.02, 0.008, 0.008], { reward: 0.3 }))).toEqual([
      'entropy-collapse@5',
    ]);
  });

  it('format-failures: the moving format share falls more than 0.1 below its best after reaching 0.9', () => {
    const options = { window: 2 };
    // moving means: 0.5 0.65 0.875 0.975 1 0.95 0.85 0.75 — best 1 from step 5, threshold 0.9
    expect(alarmsOf(createHealthMonitor(options), steps('format', [0.5, 0.8, 0.95, 1, 1, 0.9, 0.8, 0.7]))).toEqual([
      'format-failures@7',
    ]);
    // never high: a run still learning the format is not failing it
    expect(alarmsOf(createHealthMonitor(options), steps('format', [0.5, 0.6, 0.3, 0.2, 0.1]))).toEqual([]);
    // run QA of EXPERIMENTS.md: the warmed-up policy at 0.99, then format failures at steps 2–5 (default thresholds)
    const qa = createHealthMonitor();
    const raised = alarmsOf(qa, steps('format', [0.99, 0.1, 0.05, 0.1, 0.4, 0.9, 0.99, 0.99]));
    expect(raised).toEqual(['format-failures@2']);
  });

  it('no-searches: after the policy searched, the moving searches per rollout fall below 0.1', () => {
    const options = { window: 2 };
    // moving means: 0.2 0.25 0.65 (armed) 1.5 2 1.5 0.6 0.1 (not below) 0
    expect(alarmsOf(createHealthMonitor(options), steps('searches', [0.2, 0.3, 1, 2, 2, 1, 0.2, 0, 0]))).toEqual([
      'no-searches@9',
    ]);
    expect(alarmsOf(createHealthMonitor(options), steps('searches', [0, 0, 0, 0.1, 0]))).toEqual([]);
  });

  it('search-runaway: the moving searches reach 0.9 × the search budget, or 4 × the early value', () => {
    const options = { window: 2, baselineSteps: 2 };
    const monitor = createHealthMonitor({ ...options, 'search-runaway': { budget: 4 } });
    // early 2: limits min(0.9 × 4, 4 × 2) = 3.6; moving means 2 2 2 2.5 3.5 4
    const raised = [2, 2, 2, 3, 4, 4].flatMap((searches, index) => monitor.observe(record(index + 1, { searches })));
    expect(raised.map((alarm) => `${alarm.kind}@${alarm.step}`)).toEqual(['search-runaway@6']);
    expect(raised[0]).toMatchObject({ value: 4, threshold: 3.6 });
    expect(raised[0]!.message).toContain('0.9 × the budget of 4');
    // no budget: 4 × max(early, 1); a policy learning to search from 0.2 to 3 is not running away
    expect(alarmsOf(createHealthMonitor(options), steps('searches', [0.2, 0.2, 1, 2, 3, 3, 3]))).toEqual([]);
    expect(alarmsOf(createHealthMonitor(options), steps('searches', [0.2, 0.2, 1, 3, 5, 5]))).toEqual([
      'search-runaway@5',
    ]);
  });

  it('run QA3 of EXPERIMENTS.md with the defaults: endless searching, then the reward and its spread collapse', () => {
    // steps 1–44: reward 0.16, 2.5 searches; 45–55: 15 searches, reward 0.12; from 56: reward 0 for every rollout
    const series = Array.from({ length: 70 }, (_, index): Step => {
      const step = index + 1;
      return step < 45
        ? { reward: 0.16, rewardStd: 0.2, searches: 2.5 }
        : step < 56
          ? { reward: 0.12, rewardStd: 0.2, searches: 15 }
          : { reward: 0, rewardStd: 0, searches: 15 };
    });
    // search-runaway: (2.5 (10 − k) + 15 k) / 10 ≥ 4 × 2.5 at k = 6 → step 50
    // reward-collapse: best 0.16, allowed min(0.2, 0.5 × 0.16) = 0.08; 0.012 (10 − k) < 0.08 at k = 4 → step 59
    // no-reward-variance: the moving std is 0 only once the window holds ten steps from 56 → step 65
    expect(alarmsOf(createHealthMonitor(), series)).toEqual([
      'search-runaway@50',
      'reward-collapse@59',
      'no-reward-variance@65',
    ]);
    expect(alarmsOf(createHealthMonitor({ disabled: ['search-runaway'] }), series)).toEqual([
      'reward-collapse@59',
      'no-reward-variance@65',
    ]);
  });

  it('reward-collapse: the moving reward falls below its best by more than min(0.2, 0.5 × best)', () => {
    const monitor = createHealthMonitor({ window: 2 });
    // moving means: 0.3 0.5 0.7 0.8 (best, step 5) 0.75 0.65 0.55 → below 0.6 at step 8
    const raised = [0.2, 0.4, 0.6, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5].flatMap((reward, index) =>
      monitor.observe(record(index + 1, { reward })),
    );
    expect(raised.map((alarm) => `${alarm.kind}@${alarm.step}`)).toEqual(['reward-collapse@8']);
    expect(raised[0]!.value).toBeCloseTo(0.55, 12);
    expect(raised[0]!.threshold).toBeCloseTo(0.6, 12);
    expect(raised[0]!.message).toContain('below its best 0.8 (the 2 steps to step 5)');
  });

  it('grad-norm-spike: above 10 × the running median once 3 norms are known, and every non-finite norm', () => {
    const options = {
      rearmSteps: 2,
      'grad-norm-spike': { history: 5, minHistory: 3 },
    };
    // step 2: 5 is no spike yet (one norm known); step 5: median 0.15 → 1.5 < 3; step 7 the episode is closed
    const norms = [0.1, 5, 0.2, 0.15, 3, 0.1, 0.1, 'NaN', 0.1, 0.1, Number.POSITIVE_INFINITY];
    const monitor = createHealthMonitor(options);
    const raised = norms.flatMap((gradNorm, index) => monitor.observe(record(index + 1, { gradNorm })));
    expect(raised.map((alarm) => `${alarm.kind}@${alarm.step}`)).toEqual([
      'grad-norm-spike@5',
      'grad-norm-spike@8',
      'grad-norm-spike@11',
    ]);
    // history [0.1, 5, 0.2, 0.15]: median 0.175, threshold 1.75
    expect(raised[0]!.value).toBe(3);
    expect(raised[0]!.threshold).toBeCloseTo(1.75, 12);
    expect(raised[1]!.value).toBeNaN();
    expect(raised[1]!.message).toBe("gradient norm NaN: the step's update was skipped");
    // after steps whose norms are near 0, an ordinary norm is no spike (minNorm 0.1)
    expect(alarmsOf(createHealthMonitor(options), steps('gradNorm', [0.001, 0.001, 0.001, 0.001, 0.05, 0.09]))).toEqual(
      [],
    );
  });

  it('skipped-steps: 3 of the last 10 steps skipped (defaults), listing the reasons', () => {
    const skipped = [null, 'non-finite-loss', null, null, null, 'no-loss-tokens', null, null, 'non-finite-loss', null];
    const monitor = createHealthMonitor();
    const raised = skipped.flatMap((reason, index) => monitor.observe(record(index + 1, { skipped: reason })));
    expect(raised.map((alarm) => `${alarm.kind}@${alarm.step}`)).toEqual(['skipped-steps@9']);
    expect(raised[0]).toMatchObject({ value: 3, threshold: 3 });
    expect(raised[0]!.message).toBe(
      '3 of the last 9 steps were skipped (non-finite-loss, no-loss-tokens): they trained nothing',
    );
  });

  it('no-reward-variance: every rollout scores the same for a full window, unless the task is learned', () => {
    const options = { window: 3 };
    // moving std: – – 0.167 0.067 0 → step 5
    expect(alarmsOf(createHealthMonitor(options), steps('rewardStd', [0.3, 0.2, 0, 0, 0, 0], { reward: 0.1 }))).toEqual(
      ['no-reward-variance@5'],
    );
    expect(alarmsOf(createHealthMonitor(options), steps('rewardStd', [0.3, 0.2, 0, 0, 0, 0], { reward: 1 }))).toEqual(
      [],
    );
  });

  it('reads records as metrics.jsonl holds them, skips what a record lacks, and wants increasing steps', () => {
    const monitor = createHealthMonitor();
    expect(monitor.observe({ step: 1 })).toEqual([]);
    expect(monitor.observe({ step: 2, reward: 'x', entropy: null, gradNorm: 'NaN' })).toMatchObject([
      { kind: 'grad-norm-spike', step: 2 },
    ]);
    expect(() => monitor.observe({ step: 2 })).toThrow(InvalidInputError);
    expect(() => monitor.observe({ step: 1 })).toThrow('steps must be finite and increase: got 1 after 2');
  });

  it('replaying the same steps gives the same alarms (a resumed run rebuilds its monitor so)', () => {
    // entropy 0.5 for 5 steps, 0.1, then 0.02: the 10-step mean is below 0.05 from step 15
    const series = steps('entropy', [0.5, 0.5, 0.5, 0.5, 0.5, 0.1, ...Array<number>(14).fill(0.02)], { reward: 0.2 });
    expect(alarmsOf(createHealthMonitor(), series)).toEqual(['entropy-collapse@15']);
    // resumed from a checkpoint at step 16: the kept steps are fed again and their alarms dropped (already written)
    const resumed = createHealthMonitor();
    alarmsOf(resumed, series.slice(0, 16));
    const after = series.slice(16).flatMap((values, index) => resumed.observe(record(index + 17, values)));
    expect(after).toEqual([]);
    expect(resumed.activeAlarms()).toEqual(['entropy-collapse']);
  });
});
