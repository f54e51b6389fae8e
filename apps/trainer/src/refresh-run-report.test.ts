import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleRun } from '@research-ts/report';
import { afterAll, describe, expect, it } from 'vitest';
import { refreshRunReport } from './refresh-run-report';

const root = mkdtempSync(join(tmpdir(), 'refresh-run-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('refreshRunReport', () => {
  it('writes report.html into the run folder', async () => {
    const run = join(root, 'run');
    writeSampleRun(run, { steps: 3 });
    const lines: string[] = [];
    expect(await refreshRunReport(run, (line) => lines.push(line))).toBe(true);
    expect(existsSync(join(run, 'report.html'))).toBe(true);
    expect(lines).toEqual([]);
  });

  it('logs a failure, naming the file and the reason, instead of throwing', async () => {
    const run = join(root, 'blocked');
    writeSampleRun(run, { steps: 3 });
    // a folder where the file should go: the rename fails
    mkdirSync(join(run, 'report.html', 'inside'), { recursive: true });
    const lines: string[] = [];
    expect(await refreshRunReport(run, (line) => lines.push(line))).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`could not write ${run}/report.html (training goes on): `);
  });
});
