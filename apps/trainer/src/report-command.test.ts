import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSampleRun } from '@research-ts/report';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createProgram } from './program';

const directory = mkdtempSync(join(tmpdir(), 'report-command-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('research-ts report', () => {
  it('writes the run report next to the run and says what it wrote', async () => {
    const run = join(directory, 'run');
    writeSampleRun(run, { steps: 6 });
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await createProgram().parseAsync(['node', 'research-ts', 'report', run]);
    } finally {
      log.mockRestore();
    }
    const output = join(run, 'report.html');
    expect(existsSync(output)).toBe(true);
    const html = readFileSync(output, 'utf8');
    expect(html).toContain('data-chart=');
    expect(lines[0]).toMatch(
      new RegExp(
        `^wrote ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(6 steps, \\d+ of \\d+ rollouts, \\d+ bytes\\)$`,
      ),
    );
  });
});
