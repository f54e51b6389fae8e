import { appendFileSync, mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { jsonLineError, splitJsonLines } from '@research-ts/spec/node';

/** One line of `metrics.jsonl` (`kind`: `train`, `eval`, `eval-ablation`, `warmup`, `run`) or `rollouts.jsonl`; the fields are in `@research-ts/report`'s `FORMAT.md`. */
export type MetricsRecord = { kind: string; step: number } & Record<string, unknown>;

/**
 * Appends one JSON object per line to a metrics file, synchronously, so that a line is either
 * written in full or not at all when the process dies (a torn last line is dropped by
 * {@link readMetrics}). Non-finite numbers are written as strings (`"NaN"`), which JSON cannot hold.
 */
export class MetricsWriter {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
  }

  write(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify({ time: new Date().toISOString(), ...record }, finiteReplacer)}\n`);
  }

  /**
   * Drops the records of the given `kinds` whose step is after `step` — what a run resumed from the
   * checkpoint of `step` will write again — and any torn last line. Records of other kinds stay, whatever
   * their step: the warm-up numbers its own steps, and a resumed run does not repeat it.
   */
  truncateAfter(step: number, kinds: readonly string[]): void {
    if (!existsSync(this.path)) return;
    const kept = readMetrics(this.path).filter((record) => !kinds.includes(record.kind) || record.step <= step);
    writeFileSync(this.path, kept.map((record) => `${JSON.stringify(record, finiteReplacer)}\n`).join(''));
  }

  /** Drops the records for which `predicate` holds (and any torn last line). */
  removeWhere(predicate: (record: MetricsRecord) => boolean): void {
    if (!existsSync(this.path)) return;
    const kept = readMetrics(this.path).filter((record) => !predicate(record));
    writeFileSync(this.path, kept.map((record) => `${JSON.stringify(record, finiteReplacer)}\n`).join(''));
  }
}

/**
 * The records of a metrics file (spec's `splitJsonLines`). A bad last line that the file ends inside (a torn
 * write) is skipped; any other bad line is an `InvalidInputError` naming the file and the line.
 */
export function readMetrics(path: string): MetricsRecord[] {
  const records: MetricsRecord[] = [];
  for (const line of splitJsonLines(readFileSync(path))) {
    if (line.ok) records.push(line.value as MetricsRecord);
    else if (!line.truncated) throw jsonLineError(path, line);
  }
  return records;
}

function finiteReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
