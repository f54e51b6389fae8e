// Prints `N passed, N failed` (and `, N skipped`) from vitest's JSON report for CI, which reads no vitest summary.
// A run that failed before vitest wrote its report (install, build, publint, typecheck) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const status = Number(process.argv[2] ?? '0');
const reportPath = new URL('../.vitest/report.json', import.meta.url);
if (!existsSync(reportPath)) {
  console.log(`0 passed, ${status === 0 ? 0 : 1} failed`);
  process.exit(0);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (status !== 0 && (report.numFailedTests ?? 0) === 0 ? 1 : 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
