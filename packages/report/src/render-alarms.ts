import type { AlarmRecord } from './alarm-record';
import { escapeHtml } from './escape-html';
import { formatNumber } from './format-number';

const cell = (value: number | undefined) => (value === undefined ? '—' : escapeHtml(formatNumber(value)));

/**
 * The training-health alarms as a page section: one row per alarm (step, alarm, message, value, threshold), in
 * step order. Without alarm lines it says so, whether the run raised none or was written before the trainer
 * recorded them.
 */
export function renderAlarms(alarms: readonly AlarmRecord[], hasMetricsFile: boolean): string {
  const heading = '<h2>Training-health alarms</h2>';
  if (!hasMetricsFile)
    return `<section id="alarms">${heading}<p class="no-data">No data: the run folder has no metrics.jsonl</p></section>`;
  if (alarms.length === 0)
    return `<section id="alarms">${heading}<p class="no-alarms">No alarm in metrics.jsonl (lines of kind "alarm").</p></section>`;
  const rows = alarms
    .map(
      (alarm) =>
        `<tr data-alarm="${escapeHtml(alarm.alarm)}"><td class="number">${escapeHtml(formatNumber(alarm.step))}</td>` +
        `<td><code>${escapeHtml(alarm.alarm)}</code></td><td>${escapeHtml(alarm.message)}</td>` +
        `<td class="number">${cell(alarm.value)}</td><td class="number">${cell(alarm.threshold)}</td></tr>`,
    )
    .join('');
  return (
    `<section id="alarms">${heading}<table class="alarms"><thead><tr><th>step</th><th>alarm</th><th>message</th>` +
    `<th>value</th><th>threshold</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}
