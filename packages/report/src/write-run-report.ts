import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readRunDirectory, type ReadRunDirectoryOptions } from './read-run-directory';
import { renderRunReport } from './render-run-report';

export interface WriteRunReportOptions {
  /** The run folder: `metrics.jsonl`, `rollouts.jsonl`, `config.json` (see FORMAT.md). */
  runDirectory: string;
  /** Where to write the HTML file. Default `<runDirectory>/report.html`. */
  outputFile?: string;
  /** The most rollouts to show, chosen evenly over the file. Default 400. */
  maxRollouts?: number;
  /** The rollout to show first in the viewer (see `ReadRunDirectoryOptions.featured`). */
  featured?: ReadRunDirectoryOptions['featured'];
  /** The time shown in the footer (default: now). */
  generatedAt?: Date;
}

export interface WriteRunReportResult {
  outputFile: string;
  bytes: number;
  /** Steps in the metrics. */
  steps: number;
  /** Training-health alarms in the metrics (lines of kind `alarm`). */
  alarms: number;
  rolloutsShown: number;
  rolloutsTotal: number;
  /** Skipped input lines, as `file line N: problem` (also listed in the page). */
  problems: string[];
}

/**
 * Reads a run folder and writes one self-contained HTML report: the training-health alarms, curves of reward (and its components),
 * KL, entropy, response length, searches per rollout, clip fraction and throughput over the steps, and a
 * rollout viewer (tags coloured, tokens out of the loss marked, reward and reason, filters by step,
 * reward and reason). No network is needed to view it. The file is written to a temporary name and
 * renamed, so a reader never sees half a report.
 */
export async function writeRunReport(options: WriteRunReportOptions): Promise<WriteRunReportResult> {
  const run = await readRunDirectory(options.runDirectory, {
    ...(options.maxRollouts === undefined ? {} : { maxRollouts: options.maxRollouts }),
    ...(options.featured === undefined ? {} : { featured: options.featured }),
  });
  const outputFile = resolve(options.outputFile ?? join(run.directory, 'report.html'));
  const html = renderRunReport(run, options.generatedAt === undefined ? {} : { generatedAt: options.generatedAt });
  mkdirSync(dirname(outputFile), { recursive: true });
  const temporary = `${outputFile}.${process.pid}.tmp`;
  writeFileSync(temporary, html);
  renameSync(temporary, outputFile);
  return {
    outputFile,
    bytes: Buffer.byteLength(html),
    steps: run.metrics.length,
    alarms: run.alarms.length,
    rolloutsShown: run.rollouts.length,
    rolloutsTotal: run.rolloutTotal,
    problems: run.problems,
  };
}
