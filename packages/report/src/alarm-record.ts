/** One `kind: 'alarm'` line of `metrics.jsonl`, checked (see FORMAT.md). */
export interface AlarmRecord {
  /** 1-based line number in `metrics.jsonl`. */
  line: number;
  /** The training step at which the alarm's episode began. */
  step: number;
  /** The alarm's kind (`entropy-collapse`, `reward-collapse`, …); any string is shown. */
  alarm: string;
  message: string;
  /** The measured value; may be NaN or ±Infinity (written as the strings `"NaN"`, `"Infinity"`). */
  value?: number;
  /** The threshold it crossed. */
  threshold?: number;
}

export type AlarmRecordResult = { ok: true; record: AlarmRecord } | { ok: false; reason: string };

/** A number, or a non-finite one as JSON cannot hold it (`"NaN"`, `"Infinity"`, `"-Infinity"`). */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  return undefined;
}

/**
 * Checks one parsed `kind: 'alarm'` line of `metrics.jsonl`. It is refused without a numeric `step` or a string
 * `alarm`; a missing `message` is the alarm's name, and a `value` or `threshold` that is not a number is left out.
 */
export function normalizeAlarmRecord(raw: Record<string, unknown>, line: number): AlarmRecordResult {
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isFinite(step))
    return { ok: false, reason: 'alarm without a numeric "step"' };
  if (typeof raw.alarm !== 'string' || raw.alarm === '') return { ok: false, reason: 'alarm without an "alarm" name' };
  const record: AlarmRecord = {
    line,
    step,
    alarm: raw.alarm,
    message: typeof raw.message === 'string' ? raw.message : raw.alarm,
  };
  const value = numberOf(raw.value);
  if (value !== undefined) record.value = value;
  const threshold = numberOf(raw.threshold);
  if (threshold !== undefined) record.threshold = threshold;
  return { ok: true, record };
}

/**
 * Orders alarms by step, keeping file order within a step. One alarm kind at one step is kept once: the last
 * line wins, as for repeated training steps (a run resumed from an earlier checkpoint writes them again).
 */
export function orderAlarmRecords(records: readonly AlarmRecord[]): AlarmRecord[] {
  const byKey = new Map<string, AlarmRecord>();
  for (const record of records) {
    const key = `${record.step}\u0000${record.alarm}`;
    byKey.delete(key);
    byKey.set(key, record);
  }
  return [...byKey.values()].sort((a, b) => a.step - b.step || a.line - b.line);
}
