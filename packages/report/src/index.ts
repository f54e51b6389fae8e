export { normalizeAlarmRecord, type AlarmRecord, type AlarmRecordResult } from './alarm-record';
export { escapeHtml } from './escape-html';
export { metricAliases, normalizeMetricsRecord, type MetricsRecord } from './metrics-record';
export { readRunDirectory, type ReadRunDirectoryOptions, type RunData } from './read-run-directory';
export { renderRunReport, type RenderRunReportOptions } from './render-run-report';
export { normalizeRolloutRecord, type RolloutRecord, type RolloutSegment } from './rollout-record';
export { writeSampleRun, type SampleRunOptions } from './sample-run';
export { writeRunReport, type WriteRunReportOptions, type WriteRunReportResult } from './write-run-report';
