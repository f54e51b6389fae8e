import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { normalizeAlarmRecord, orderAlarmRecords, type AlarmRecord } from './alarm-record';
import { isTrainingRecord, normalizeMetricsRecord, orderMetricsRecords, type MetricsRecord } from './metrics-record';
import { readJsonLines } from './read-json-lines';
import { evenlySpacedIndexes, normalizeRolloutRecord, type RolloutRecord } from './rollout-record';

/** Everything the report shows, read from a run folder (see FORMAT.md). */
export interface RunData {
  /** The folder's name. */
  name: string;
  directory: string;
  /** One record per training step (no `kind`, or `kind: 'train'`), ordered by step. */
  metrics: MetricsRecord[];
  /** Evaluation records (`kind: 'eval'`), ordered by step. */
  evaluations: MetricsRecord[];
  /** The format warm-up's lines (`kind: 'warmup'`; `step` is the warm-up step), ordered by step. */
  warmup: MetricsRecord[];
  /** The final evaluations with a retriever that returns nothing (`eval-ablation`) and a permuted corpus (`eval-decoy`). */
  ablations: MetricsRecord[];
  /** Training-health alarms (`kind: 'alarm'`), ordered by step; none in a run written before alarms existed. */
  alarms: AlarmRecord[];
  hasMetricsFile: boolean;
  /** The kept rollouts, in file order. */
  rollouts: RolloutRecord[];
  /** Valid rollouts in the file (`rollouts.length` or more, when some were left out). */
  rolloutTotal: number;
  hasRolloutsFile: boolean;
  /** `config.json`, pretty-printed, when present and valid JSON. */
  configText?: string;
  /** Lines or files that could not be read, as `file line N: problem`. */
  problems: string[];
}

export interface ReadRunDirectoryOptions {
  /** The most rollouts to keep, chosen evenly over the file. Default 400. */
  maxRollouts?: number;
  /**
   * The rollout to show first: the LAST one in the file that this accepts (the latest policy's) is moved, or
   * added, to the front of the kept rollouts. E.g. a learned 2-hop rollout: right answer, two searches.
   */
  featured?: (rollout: RolloutRecord) => boolean;
}

/**
 * Reads `metrics.jsonl`, `rollouts.jsonl` and `config.json` of a run folder. A malformed line is skipped
 * and listed in `problems`. Throws `InvalidInputError` when the folder does not exist or holds neither
 * `metrics.jsonl` nor `rollouts.jsonl`.
 */
export async function readRunDirectory(runDirectory: string, options: ReadRunDirectoryOptions = {}): Promise<RunData> {
  const directory = resolve(runDirectory);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new InvalidInputError('run folder not found (expected a folder with metrics.jsonl and rollouts.jsonl)', {
      source: directory,
    });
  }
  const metricsPath = join(directory, 'metrics.jsonl');
  const rolloutsPath = join(directory, 'rollouts.jsonl');
  const hasMetricsFile = existsSync(metricsPath);
  const hasRolloutsFile = existsSync(rolloutsPath);
  if (!hasMetricsFile && !hasRolloutsFile) {
    throw new InvalidInputError(
      'no metrics.jsonl or rollouts.jsonl in the run folder: is it the folder a training run wrote?',
      { source: directory },
    );
  }
  const problems: string[] = [];

  const metrics: MetricsRecord[] = [];
  const evaluations: MetricsRecord[] = [];
  const warmup: MetricsRecord[] = [];
  const ablations: MetricsRecord[] = [];
  const alarms: AlarmRecord[] = [];
  if (hasMetricsFile) {
    for await (const entry of readJsonLines(metricsPath)) {
      if (!entry.ok) {
        problems.push(`metrics.jsonl line ${entry.line}: ${entry.reason}`);
        continue;
      }
      if (entry.value.kind === 'alarm') {
        const alarm = normalizeAlarmRecord(entry.value, entry.line);
        if (alarm.ok) alarms.push(alarm.record);
        else problems.push(`metrics.jsonl line ${entry.line}: ${alarm.reason}`);
        continue;
      }
      const record = normalizeMetricsRecord(entry.value, metrics.length + 1);
      if (isTrainingRecord(record)) metrics.push(record);
      else if (record.kind === 'eval') evaluations.push(record);
      else if (record.kind === 'warmup') warmup.push(record);
      else if (record.kind === 'eval-ablation' || record.kind === 'eval-decoy') ablations.push(record);
    }
  }

  const valid: RolloutRecord[] = [];
  if (hasRolloutsFile) {
    for await (const entry of readJsonLines(rolloutsPath)) {
      const result = entry.ok ? normalizeRolloutRecord(entry.value, entry.line) : entry;
      if (result.ok) valid.push(result.record);
      else problems.push(`rollouts.jsonl line ${entry.line}: ${result.reason}`);
    }
  }
  let keep = evenlySpacedIndexes(valid.length, options.maxRollouts ?? 400);
  const featured = options.featured === undefined ? -1 : valid.findLastIndex(options.featured);
  if (featured >= 0)
    keep = [featured, ...keep.filter((index) => index !== featured)].slice(0, Math.max(1, keep.length));

  const data: RunData = {
    name: basename(directory),
    directory,
    metrics: orderMetricsRecords(metrics),
    evaluations: orderMetricsRecords(evaluations),
    warmup: orderMetricsRecords(warmup),
    ablations: ['eval-ablation', 'eval-decoy'].flatMap((kind) =>
      orderMetricsRecords(ablations.filter((record) => record.kind === kind)),
    ),
    alarms: orderAlarmRecords(alarms),
    hasMetricsFile,
    rollouts: keep.map((index) => valid[index]!),
    rolloutTotal: valid.length,
    hasRolloutsFile,
    problems,
  };
  const configPath = join(directory, 'config.json');
  if (existsSync(configPath)) {
    try {
      data.configText = JSON.stringify(JSON.parse(readFileSync(configPath, 'utf8')), null, 2);
    } catch (error) {
      problems.push(`config.json: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  return data;
}
