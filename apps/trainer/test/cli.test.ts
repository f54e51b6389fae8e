import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot, runCli } from './cli-helpers';

describe('research-ts CLI', () => {
  it('a bad config fails before any work, naming the field, with exit code 1', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'research-ts-cli-')), 'run');
    const bad = await runCli([
      'train',
      '--preset',
      'tiny',
      '-m',
      'nowhere',
      '-o',
      output,
      '--set',
      'rollout.groupSize=0',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'research-ts: config field "rollout.groupSize": Too small: expected number to be >=1',
    );
    expect(existsSync(output)).toBe(false);
    const typo = await runCli(['train', '--preset', 'tiny', '-o', output, '--set', 'optimizer.lr=1e-3']);
    expect(typo.stderr.trim()).toBe(
      'research-ts: config field "optimizer.lr": is not a config field (Unrecognized key: "lr")',
    );
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

  it('--version prints the version of the package', async () => {
    const { version } = JSON.parse(readFileSync(join(repositoryRoot, 'apps/trainer/package.json'), 'utf8')) as {
      version: string;
    };
    const run = await runCli(['--version']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it('under `npm run cli`, relative paths are relative to where npm was run, and errors name the absolute path', async () => {
    const userDirectory = mkdtempSync(join(tmpdir(), 'research-ts-cli-cwd-'));
    writeFileSync(
      join(userDirectory, 'corpus.jsonl'),
      '{"id": "1", "contents": "\\"Paris\\"\\nParis is the capital of France."}\n',
    );
    // what npm sets for `npm run cli -w @research-ts/trainer`, which runs in apps/trainer
    const npmRunCli = { npm_lifecycle_event: 'cli', npm_package_name: '@research-ts/trainer', INIT_CWD: userDirectory };
    const trainerDirectory = join(repositoryRoot, 'apps/trainer');
    const indexed = await runCli(['index', 'corpus.jsonl', 'index', '--no-progress'], npmRunCli, trainerDirectory);
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(existsSync(join(userDirectory, 'index', 'manifest.json'))).toBe(true);
    expect(existsSync(join(trainerDirectory, 'index'))).toBe(false);
    const missing = await runCli(
      ['eval', '-q', 'missing.jsonl', '-r', 'index', '-m', 'model'],
      npmRunCli,
      trainerDirectory,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(userDirectory, 'missing.jsonl'));
  });

  it('the `research-ts` bin is a file of the repository, so `npm ci` links it and `npx research-ts` runs without a build', async () => {
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'apps/trainer/package.json'), 'utf8')) as {
      version: string;
      bin: Record<string, string>;
      files: string[];
    };
    const target = join(repositoryRoot, 'apps/trainer', manifest.bin['research-ts']!);
    // npm links a bin only when its target exists at install time; dist/ exists only after `npm run build`
    expect(target).not.toMatch(/[/\\]dist[/\\]/);
    expect(() => accessSync(target, constants.X_OK)).not.toThrow();
    expect(manifest.files).toContain(manifest.bin['research-ts']!.replace(/^\.\//, '').split('/')[0]);
    const { stdout } = await promisify(execFile)(target, ['--version'], { cwd: tmpdir() });
    expect(stdout).toBe(`${manifest.version}\n`);
  });
});
