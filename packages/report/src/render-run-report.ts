import { chartScript } from './chart-script';
import { escapeHtml } from './escape-html';
import { formatNumber } from './format-number';
import { metricFields, type MetricsRecord } from './metrics-record';
import type { RunData } from './read-run-directory';
import { reportScript, reportStyle } from './report-assets';
import { chartSeries, chartStepRange, emptyChartMessage, reportCharts } from './report-charts';
import { renderChart } from './render-chart';
import { renderAlarms } from './render-alarms';
import { renderHeadlineTable } from './render-headline-table';
import { renderRollout } from './render-rollout';
import { uplotBundle } from './uplot-bundle';

export interface RenderRunReportOptions {
  /** Shown in the footer (default: now). */
  generatedAt?: Date;
  /** How many input problems to list before "and N more". Default 20. */
  maxProblemsListed?: number;
}

/**
 * No network: nothing may load from anywhere (`default-src 'none'`); only the inline style and script
 * run. A report opened from a mail attachment or an archive behaves the same as on the training machine.
 */
const contentSecurityPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

function summary(run: RunData): string {
  const parts: string[] = [];
  const { metrics } = run;
  if (metrics.length > 0) {
    parts.push(
      `<b>${metrics.length}</b> step${metrics.length === 1 ? '' : 's'} (${escapeHtml(formatNumber(metrics[0]!.step))}–${escapeHtml(formatNumber(metrics.at(-1)!.step))})`,
    );
    const rewards = metrics.filter((record) => record.values['reward/mean'] !== undefined);
    if (rewards.length > 0) {
      const first = rewards[0]!.values['reward/mean']!;
      const last = rewards.at(-1)!.values['reward/mean']!;
      const best = rewards.reduce((top, record) =>
        record.values['reward/mean']! > top.values['reward/mean']! ? record : top,
      );
      parts.push(
        `reward <b>${escapeHtml(formatNumber(first))} → ${escapeHtml(formatNumber(last))}</b> (best ${escapeHtml(formatNumber(best.values['reward/mean']!))} at step ${escapeHtml(formatNumber(best.step))})`,
      );
    }
  }
  if (run.alarms.length > 0) {
    const kinds = [...new Set(run.alarms.map((alarm) => alarm.alarm))];
    parts.push(
      `<span class="alarm-count"><b>${run.alarms.length}</b> health alarm${run.alarms.length === 1 ? '' : 's'} (${escapeHtml(kinds.join(', '))}), the first at step ${escapeHtml(formatNumber(run.alarms[0]!.step))}</span>`,
    );
  }
  if (run.hasRolloutsFile) {
    const left = run.rolloutTotal - run.rollouts.length;
    parts.push(
      `<b>${run.rollouts.length}</b> rollout${run.rollouts.length === 1 ? '' : 's'} shown${left > 0 ? ` (${left} of ${run.rolloutTotal} left out, kept evenly over the file)` : ''}`,
    );
  }
  return parts.join(' · ');
}

function lastValuesTable(metrics: readonly MetricsRecord[]): string {
  if (metrics.length === 0) return '';
  const last = metrics.at(-1)!;
  const rows = metricFields(metrics)
    .map((field) => {
      const value = last.values[field];
      return `<tr><th><code>${escapeHtml(field)}</code></th><td class="number">${value === undefined ? '—' : escapeHtml(formatNumber(value))}</td></tr>`;
    })
    .join('');
  return `<details><summary>Every field at the last step (${escapeHtml(formatNumber(last.step))})</summary><table class="last-values"><tbody>${rows}</tbody></table></details>`;
}

function problemsBox(problems: readonly string[], maxListed: number): string {
  if (problems.length === 0) return '';
  const listed = problems
    .slice(0, maxListed)
    .map((problem) => `<li>${escapeHtml(problem)}</li>`)
    .join('');
  const more = problems.length > maxListed ? `<li>and ${problems.length - maxListed} more</li>` : '';
  return `<section class="problems" id="problems"><b>Input problems</b> (these lines were skipped):<ul>${listed}${more}</ul></section>`;
}

function option(value: string, label: string): string {
  return `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`;
}

function rolloutSection(run: RunData): string {
  if (!run.hasRolloutsFile)
    return '<section id="rollouts"><h2>Rollouts</h2><p class="no-data">No data: the run folder has no rollouts.jsonl</p></section>';
  if (run.rollouts.length === 0)
    return '<section id="rollouts"><h2>Rollouts</h2><p class="no-data">No data: rollouts.jsonl holds no valid trajectory</p></section>';
  const steps = [...new Set(run.rollouts.flatMap((record) => (record.step === undefined ? [] : [record.step])))].sort(
    (a, b) => a - b,
  );
  const reasons = [
    ...new Set(run.rollouts.flatMap((record) => (record.reason === undefined ? [] : [record.reason]))),
  ].sort();
  const filters =
    '<form class="filters" id="filters" onsubmit="return false">' +
    `<label>Step <select id="filter-step">${option('', 'all')}${steps.map((step) => option(String(step), String(step))).join('')}</select></label>` +
    '<label>Reward from <input id="filter-min" type="number" step="0.05" placeholder="min"> to <input id="filter-max" type="number" step="0.05" placeholder="max"></label>' +
    `<label>Reason <select id="filter-reason">${option('', 'all')}${reasons.map((reason) => option(reason, reason)).join('')}</select></label>` +
    '<label><input id="filter-tokens" type="checkbox"> token boundaries</label>' +
    `<span>showing <b id="shown-count">${run.rollouts.length}</b> of ${run.rollouts.length}</span></form>`;
  const key =
    '<p class="key"><span class="k-think">think</span><span class="k-search">search</span><span class="k-result">result</span>' +
    '<span class="k-answer">answer</span><span class="m0">out of the loss (mask 0)</span><span class="open">tag never closed</span>' +
    '<span class="lit">&lt;tag&gt;</span></p>';
  return `<section id="rollouts"><h2>Rollouts</h2>${filters}${key}<div id="rollout-list">${run.rollouts.map(renderRollout).join('')}</div></section>`;
}

function charts(run: RunData): string {
  const records = { train: run.metrics, evaluations: run.evaluations, warmup: run.warmup };
  return reportCharts
    .map((chart) => {
      const series = chartSeries(chart, records);
      const range = series.length === 0 ? { min: 0, max: 1 } : chartStepRange(chart, records, series);
      return renderChart({
        title: chart.title,
        unit: chart.unit,
        xLabel: chart.phase === 'warmup' ? 'warm-up step' : 'step',
        series,
        xMin: range.min,
        xMax: range.max,
        includeZero: chart.includeZero,
        emptyMessage: emptyChartMessage(chart, run.hasMetricsFile),
      });
    })
    .join('');
}

/**
 * The whole report page: one self-contained HTML document with inline CSS, the held-out results, the
 * training-health alarms, the charts (uPlot, inlined) and the rollout viewer. Its title and heading name the run folder.
 */
export function renderRunReport(run: RunData, options: RenderRunReportOptions = {}): string {
  const uplot = uplotBundle();
  const config =
    run.configText === undefined
      ? ''
      : `<section id="config"><h2>Config</h2><details><summary>config.json</summary><pre class="config">${escapeHtml(run.configText)}</pre></details></section>`;
  const generatedAt = (options.generatedAt ?? new Date()).toISOString();
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>Run report: ${escapeHtml(run.name)} (${escapeHtml(run.directory)})</title><style>${uplot.style}${reportStyle}</style></head><body>` +
    `<header class="page"><h1>Run <code>${escapeHtml(run.name)}</code></h1><p class="directory"><code>${escapeHtml(run.directory)}</code></p><p class="summary">${summary(run)}</p>` +
    `${problemsBox(run.problems, options.maxProblemsListed ?? 20)}</header>` +
    `<main>${renderHeadlineTable(run)}${renderAlarms(run.alarms, run.hasMetricsFile)}<section id="charts"><h2>Training curves</h2><div class="charts">${charts(run)}</div>${lastValuesTable(run.metrics)}</section>` +
    `${rolloutSection(run)}${config}</main>` +
    `<footer>Written by <code>research-ts</code> from <code>${escapeHtml(run.directory)}</code> at ${escapeHtml(generatedAt)}.</footer>` +
    `<script>${uplot.script}\n${chartScript}\n${reportScript}</script></body></html>\n`
  );
}
