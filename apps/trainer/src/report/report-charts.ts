import { type ChartSeries } from './line-chart';
import { metricFields, metricSeries, type MetricsRecord } from './metrics-record';

/** One chart of the report: its title, unit and the metric fields it draws (see FORMAT.md). */
export interface ReportChart {
  title: string;
  unit: string;
  /** `[field, legend label]` pairs; a field ending in `/*` stands for every field under that prefix. */
  fields: readonly (readonly [string, string])[];
  /** Fields of `kind: 'eval'` records drawn on this chart too, as `[field, legend label]`. */
  evaluationFields?: readonly (readonly [string, string])[];
  includeZero: boolean;
}

export const reportCharts: readonly ReportChart[] = [
  { title: 'Reward', unit: 'mean over rollouts', fields: [['reward/mean', 'reward'], ['rewardComponents/*', '']], evaluationFields: [['reward/mean', 'eval reward']], includeZero: true },
  { title: 'KL to the reference', unit: 'nats per token (k3)', fields: [['kl', 'kl']], includeZero: true },
  { title: 'Entropy', unit: 'nats per token', fields: [['entropy', 'entropy']], includeZero: false },
  {
    title: 'Response length',
    unit: 'generated tokens per rollout, results excluded',
    fields: [['responseLength/mean', 'mean'], ['responseLength/max', 'max']],
    includeZero: true,
  },
  { title: 'Searches per rollout', unit: 'mean', fields: [['searchesPerRollout', 'searches']], includeZero: true },
  { title: 'Clip fraction', unit: 'share of loss tokens clipped', fields: [['clipFraction', 'clipped']], includeZero: true },
  { title: 'Throughput', unit: 'generated tokens per second', fields: [['throughput/tokensPerSecond', 'tokens/s']], includeZero: true },
];

/**
 * The series of a chart: one per field, `/*` fields expanded (component `f1` is labelled `f1`), then its
 * evaluation fields from the `eval` records.
 */
export function chartSeries(chart: ReportChart, records: readonly MetricsRecord[], evaluations: readonly MetricsRecord[] = []): ChartSeries[] {
  const present = metricFields(records);
  const training = chart.fields.flatMap(([field, label]) => {
    if (!field.endsWith('/*')) return [{ label, points: metricSeries(records, field) }];
    const prefix = field.slice(0, -1);
    return present.filter((name) => name.startsWith(prefix)).map((name) => ({ label: name.slice(prefix.length), points: metricSeries(records, name) }));
  });
  const evaluation = (chart.evaluationFields ?? []).map(([field, label]) => ({ label, points: metricSeries(evaluations, field) }));
  return [...training, ...evaluation];
}

/** Why a chart is empty, in the words of the input. */
export function emptyChartMessage(chart: ReportChart, hasMetricsFile: boolean): string {
  if (!hasMetricsFile) return 'the run folder has no metrics.jsonl';
  const names = chart.fields.map(([field]) => `"${field}"`).join(' or ');
  return `no step in metrics.jsonl has ${names}`;
}
