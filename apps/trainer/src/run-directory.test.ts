import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { saveCheckpoint } from './checkpoint';
import { checkRunDirectory, clearRunDirectory } from './run-directory';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'research-ts-run-directory-')), 'run');
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

async function saveTinyCheckpoint(run: string, step: number) {
  return saveCheckpoint(join(run, 'checkpoints'), {
    step,
    trainer: { step, skippedSteps: 0, optimizer: { step, parameters: {} } },
    rng: { words: [1, 2, 3, 4] },
    extra: {},
    writeModel: async (directory) => {
      await mkdir(directory);
      await writeFile(join(directory, 'model.safetensors'), 'weights');
    },
  });
}

describe('checkRunDirectory', () => {
  it('starts a fresh run in a missing or empty directory, or one holding only other files', async () => {
    const run = fresh();
    expect(await checkRunDirectory(run, { resume: false, overwrite: false })).toBeUndefined();
    await mkdir(run);
    await writeFile(join(run, 'notes.txt'), 'mine');
    expect(await checkRunDirectory(run, { resume: false, overwrite: false })).toBeUndefined();
  });

  it('refuses a directory that holds a run unless told to resume or overwrite it', async () => {
    const run = fresh();
    await mkdir(run);
    await writeFile(join(run, 'metrics.jsonl'), '{"kind":"train","step":1}\n');
    const error = await errorOf(checkRunDirectory(run, { resume: false, overwrite: false }));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error?.message).toBe(
      `config field "outputDirectory": ${run} holds a run (metrics.jsonl): pass --resume to continue it or --overwrite to replace it`,
    );
    expect(await checkRunDirectory(run, { resume: false, overwrite: true })).toBeUndefined();
    expect((await errorOf(checkRunDirectory(run, { resume: true, overwrite: true })))?.message).toMatch(/not both/);
  });

  it('refuses to resume a directory that does not exist', async () => {
    const run = fresh();
    const error = await errorOf(checkRunDirectory(run, { resume: true, overwrite: false }));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error?.message).toBe(
      `config field "outputDirectory": ${run} does not exist: there is no run to resume (leave out --resume to start one)`,
    );
  });

  it('refuses to resume when no checkpoint verifies, listing each checkpoint and why it was rejected', async () => {
    const run = fresh();
    await mkdir(run);
    expect((await errorOf(checkRunDirectory(run, { resume: true, overwrite: false })))?.message).toBe(
      `${join(run, 'checkpoints')}: holds no checkpoint, so the run cannot resume (it stopped before its first checkpoint): start it again with --overwrite`,
    );
    const second = await saveTinyCheckpoint(run, 2);
    const fourth = await saveTinyCheckpoint(run, 4);
    await writeFile(join(second, 'state.json'), 'torn');
    await writeFile(join(fourth, 'manifest.json'), '{');
    const error = await errorOf(checkRunDirectory(run, { resume: true, overwrite: false }));
    expect(error).toBeInstanceOf(InvalidInputError);
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe(`${join(run, 'checkpoints')}: no checkpoint verifies, so the run cannot resume:`);
    expect(lines[1]!.startsWith(`  ${fourth}: manifest.json is missing or unreadable`)).toBe(true);
    expect(lines[2]!.startsWith(`  ${second}: state.json has 4 bytes, the manifest says `)).toBe(true);
    expect(lines[3]).toBe('(restore a checkpoint, or start the run again with --overwrite)');
  });

  it('resumes from the newest checkpoint that verifies', async () => {
    const run = fresh();
    const second = await saveTinyCheckpoint(run, 2);
    const third = await saveTinyCheckpoint(run, 3);
    await writeFile(join(third, 'optimizer.safetensors'), 'corrupt');
    const latest = await checkRunDirectory(run, { resume: true, overwrite: false });
    expect(latest).toMatchObject({ step: 2, directory: second });
    expect(latest!.rejected.map((rejected) => rejected.directory)).toEqual([third]);
  });
});

describe('clearRunDirectory', () => {
  it('removes the run’s entries and nothing else', async () => {
    const run = fresh();
    await saveTinyCheckpoint(run, 1);
    for (const file of ['config.json', 'metrics.jsonl', 'rollouts.jsonl', 'notes.txt'])
      await writeFile(join(run, file), 'x');
    await clearRunDirectory(run);
    expect(await readdir(run)).toEqual(['notes.txt']);
    await clearRunDirectory(join(run, 'missing'));
    expect(existsSync(join(run, 'missing'))).toBe(false);
  });
});
