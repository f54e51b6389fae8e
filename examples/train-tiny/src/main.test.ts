import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const directory = resolve(import.meta.dirname, '..');

describe('train-tiny example', () => {
  it('runs one GRPO step (rollouts, reward, update) on the synthetic world', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@research-ts/source', '--import', 'tsx', 'src/main.ts', '1'],
      {
        cwd: directory,
        timeout: 120_000,
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^step 1: reward \d\.\d{3} (loss -?\d\.\d{4} kl \S+ entropy \d+\.\d{3} grad \d+\.\d{3}|skipped \(\S+\))$/,
    );
  }, 150_000);

  it('is under 40 lines of code', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(resolve(directory, 'src/main.ts'), 'utf8');
    const code = source.split('\n').filter((line) => line.trim() !== '' && !/^\s*(\/\/|\/\*\*|\*)/.test(line));
    expect(code.length).toBeLessThan(40);
  });
});
