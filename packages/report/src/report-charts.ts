import { metricFields, metricSeries, type MetricsRecord } from './metrics-record';

/** Which records a chart draws: the GRPO steps, or the format warm-up's (`kind: 'warmup'`) lines. */
export type ChartPhase = 'train' | 'warmup';

/** One chart of the report: its title, unit and the metric fields it draws (see FORMAT.md). */
export interface ReportChart {
  title: string;
  unit: string;
  phase: ChartPhase;
  /** `[field, legend label]` pairs; a field ending in `/*` stands for every field under that prefix. */
  fields: readonly (readonly [string, string])[];
  /** Fields of `kind: 'eval'` records drawn on this chart too, as `[field, legend label]`. */
  evaluationFields?: readonly (readonly [string, string])[];
  includeZero: boolean;
}

/** The charts of the report, in page order. */
export const reportCharts: readonly ReportChart[] = [
  {
    title: 'Reward',
    unit: 'mean over rollouts',
    phase: 'train',
    fields: [
      ['reward/mean', 'reward'],
      ['rewardComponents/*', ''],
    ],
    evaluationFields: [['reward/mean', 'eval reward']],
    includeZero: true,
  },
  {
    title: 'KL to the reference',
    unit: 'nats per token (k3)',
    phase: 'train',
    fields: [['kl', 'kl']],
    includeZero: true,
  },
  { title: 'Entropy', unit: 'nats per token', phase: 'train', fields: [['entropy', 'entropy']], includeZero: false },
  {
    title: 'Response length',
    unit: 'generated tokens per rollout, results excluded',
    phase: 'train',
    fields: [
      ['responseLength/mean', 'mean'],
      ['responseLength/max', 'max'],
    ],
    includeZero: true,
  },
  {
    title: 'Searches per rollout',
    unit: 'mean',
    phase: 'train',
    fields: [['searchesPerRollout', 'searches']],
    includeZero: true,
  },
  {
    title: 'Clip fraction',
    unit: 'share of loss tokens clipped',
    phase: 'train',
    fields: [['clipFraction', 'clipped']],
    includeZero: true,
  },
  {
    title: 'Throughput',
    unit: 'generated tokens per second',
    phase: 'train',
    fields: [['throughput/tokensPerSecond', 'tokens/s']],
    includeZero: true,
  },
  { title: 'Loss', unit: 'actor loss', phase: 'train', fields: [['loss', 'loss']], includeZero: false },
  {
    title: 'Gradient norm',
    unit: 'global, before clipping',
    phase: 'train',
    fields: [['gradNorm', 'grad norm']],
    includeZero: true,
  },
  {
    title: 'Learning rate',
    unit: 'of the optimizer step',
    phase: 'train',
    fields: [['learningRate', 'learning rate']],
    includeZero: true,
  },
  {
    title: 'Warm-up loss',
    unit: 'format warm-up, NLL per token',
    phase: 'warmup',
    fields: [['loss', 'loss']],
    includeZero: false,
  },
];

/** The points of one series over the steps. */
export interface ChartSeries {
  label: string;
  points: readonly { x: number; y: number }[];
}

/** The records a chart reads. */
export interface ChartRecords {
  train: readonly MetricsRecord[];
  evaluations: readonly MetricsRecord[];
  warmup: readonly MetricsRecord[];
}

/**
 * The series of a chart: one per field, `/*` fields expanded (component `f1` is labelled `f1`), then its
 * evaluation fields from the `eval` records.
 */
export function chartSeries(chart: ReportChart, records: ChartRecords): ChartSeries[] {
  const source = chart.phase === 'warmup' ? records.warmup : records.train;
  const present = metricFields(source);
  const main = chart.fields.flatMap(([field, label]) => {
    if (!field.endsWith('/*')) return [{ label, points: metricSeries(source, field) }];
    const prefix = field.slice(0, -1);
    return present
      .filter((name) => name.startsWith(prefix))
      .map((name) => ({ label: name.slice(prefix.length), points: metricSeries(source, name) }));
  });
  const evaluation = (chart.evaluationFields ?? []).map(([field, label]) => ({
    label,
    points: metricSeries(records.evaluations, field),
  }));
  return [...main, ...evaluation].filter((series) => series.points.length > 0);
}

/**
 * The x range of a chart: from the phase's first step to its LAST step (not a rounded tick past it), so
 * every chart of a phase ends where the run is. A single step is widened to the step before it.
 */
export function chartStepRange(
  chart: ReportChart,
  records: ChartRecords,
  series: readonly ChartSeries[],
): { min: number; max: number } {
  const source = chart.phase === 'warmup' ? records.warmup : records.train;
  const steps =
    source.length > 0
      ? source.map((record) => record.step)
      : series.flatMap((entry) => entry.points.map((point) => point.x));
  const max = Math.max(...steps);
  return { min: Math.min(Math.min(...steps), max - 1), max };
}

/** Why a chart is empty, in the words of the input. */
export function emptyChartMessage(chart: ReportChart, hasMetricsFile: boolean): string {
  if (!hasMetricsFile) return 'the run folder has no metrics.jsonl';
  const names = chart.fields.map(([field]) => `"${field}"`).join(' or ');
  if (chart.phase === 'warmup') return `no warm-up line (kind "warmup") in metrics.jsonl has ${names}`;
  return `no step in metrics.jsonl has ${names}`;
}
