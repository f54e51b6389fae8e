import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-helpers';

describe('research-ts CLI', () => {
  it('a bad config fails before any work, naming the field, with exit code 1', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'research-ts-cli-')), 'run');
    const bad = await runCli(['train', '--preset', 'tiny', '-m', 'nowhere', '-o', output, '--set', 'rollout.groupSize=0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('research-ts: config field "rollout.groupSize": Too small: expected number to be >=1');
    expect(existsSync(output)).toBe(false);
    const typo = await runCli(['train', '--preset', 'tiny', '-o', output, '--set', 'optimizer.lr=1e-3']);
    expect(typo.stderr.trim()).toBe('research-ts: config field "optimizer.lr": is not a config field (Unrecognized key: "lr")');
    const missingModel = await runCli(['train', '--preset', 'tiny', '-m', join(output, 'no-model'), '-o', output]);
    expect(missingModel.code).toBe(1);
    expect(missingModel.stderr).toMatch(/config field "modelDirectory": .*no-model does not exist/);
    expect(existsSync(output)).toBe(false);
  });

  it('--print-config shows the resolved config: preset, then overrides', async () => {
    const run = await runCli(['train', '--preset', 'tiny', '--set', 'rollout.groupSize=3', '--print-config']);
    expect(run.code, run.stderr).toBe(0);
    const config = JSON.parse(run.stdout);
    expect(config.rollout.groupSize).toBe(3);
    expect(config.prompt.template).toBe('compact');
    expect(config.loss.clipRatio).toBe(0.2);
  });
});
