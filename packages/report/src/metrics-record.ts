/** One training step of `metrics.jsonl`, its fields flattened to `/` paths (see FORMAT.md). */
export interface MetricsRecord {
  step: number;
  /** The line's `kind` when it is a string: absent or `train` for a training step, `eval`, `warmup`, `run`. */
  kind?: string;
  /** Finite numbers only, by canonical field name (`reward/mean`, `kl`, `rewardComponents/f1`). */
  values: Readonly<Record<string, number>>;
}

/**
 * Field names other writers use, mapped to the report's canonical names. They let a `GrpoStepMetrics`
 * object of `@research-ts/grpo` be spread into a metrics line as is. A canonical field wins over its alias.
 */
export const metricAliases: Readonly<Record<string, string>> = {
  rewardMean: 'reward/mean',
  rewardStd: 'reward/std',
  rewardMin: 'reward/min',
  rewardMax: 'reward/max',
  klLoss: 'kl',
  pgClipFrac: 'clipFraction',
  responseLength: 'responseLength/mean',
  tokensPerSecond: 'throughput/tokensPerSecond',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ a: { b: 1 }, c: 2 }` → `{ 'a/b': 1, c: 2 }`, keeping finite numbers only. */
function flattenNumbers(value: Record<string, unknown>, prefix: string, into: Record<string, number>): void {
  for (const [key, entry] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}/${key}`;
    if (typeof entry === 'number' && Number.isFinite(entry)) into[path] = entry;
    else if (isPlainObject(entry)) flattenNumbers(entry, path, into);
  }
}

/**
 * Reads one parsed line of `metrics.jsonl`: nested objects are flattened with `/`, aliases renamed,
 * non-finite or non-numeric values dropped. `position` (1-based, among the file's records) is the step
 * when the line has no numeric `step`.
 */
export function normalizeMetricsRecord(raw: Record<string, unknown>, position: number): MetricsRecord {
  const flat: Record<string, number> = {};
  flattenNumbers(raw, '', flat);
  const values: Record<string, number> = {};
  for (const [name, value] of Object.entries(flat)) {
    const canonical = metricAliases[name];
    if (canonical === undefined) values[name] = value;
    else if (!(canonical in flat)) values[canonical] = value;
  }
  const step = values.step ?? position;
  delete values.step;
  delete values.kind;
  return typeof raw.kind === 'string' ? { step, kind: raw.kind, values } : { step, values };
}

/** A training step's record: no `kind`, or `kind: 'train'`. */
export function isTrainingRecord(record: MetricsRecord): boolean {
  return record.kind === undefined || record.kind === 'train';
}

/**
 * Orders records by step. Repeated steps (a run resumed from an earlier checkpoint writes them again)
 * keep the record that came last in the file.
 */
export function orderMetricsRecords(records: readonly MetricsRecord[]): MetricsRecord[] {
  const byStep = new Map<number, MetricsRecord>();
  for (const record of records) byStep.set(record.step, record);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The points of one field over the steps that have it. */
export function metricSeries(records: readonly MetricsRecord[], field: string): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  for (const record of records) {
    const value = record.values[field];
    if (value !== undefined) points.push({ x: record.step, y: value });
  }
  return points;
}

/** Every field name present in at least one record, sorted. */
export function metricFields(records: readonly MetricsRecord[]): string[] {
  const names = new Set<string>();
  for (const record of records) for (const name of Object.keys(record.values)) names.add(name);
  return [...names].sort();
}
