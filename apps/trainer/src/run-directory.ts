import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { findLatestCheckpoint, listCheckpoints, verifyCheckpoint, type LatestCheckpoint } from './checkpoint';

/** What `research-ts train` writes into its run directory; `overwrite` removes these and nothing else. */
export const runDirectoryEntries = [
  'config.json',
  'metrics.jsonl',
  'rollouts.jsonl',
  'checkpoints',
  'warmup-model',
  'model',
  'predictions.jsonl',
  'report.html',
] as const;

export interface RunDirectoryOptions {
  /** Continue from the newest checkpoint that verifies. */
  resume: boolean;
  /** Replace the run that the directory holds. */
  overwrite: boolean;
}

/**
 * Checks how a run may start in `directory`, writing nothing. With `resume`, the directory must exist and
 * hold a checkpoint that verifies: the newest one is returned, and when none does, the error lists every
 * checkpoint with the reason it was rejected. Without it, a directory that holds a run (any of
 * {@link runDirectoryEntries}) needs `overwrite`, so that a run's metrics are never truncated by mistake.
 */
export async function checkRunDirectory(
  directory: string,
  options: RunDirectoryOptions,
): Promise<LatestCheckpoint | undefined> {
  if (options.resume && options.overwrite)
    throw new InvalidConfigError(
      'outputDirectory',
      'give --resume (continue the run) or --overwrite (replace it), not both',
    );
  if (options.resume) {
    if (!existsSync(directory))
      throw new InvalidConfigError(
        'outputDirectory',
        `${directory} does not exist: there is no run to resume (leave out --resume to start one)`,
      );
    const checkpoints = join(directory, 'checkpoints');
    const latest = await findLatestCheckpoint(checkpoints);
    if (latest !== undefined) return latest;
    const found = await listCheckpoints(checkpoints);
    if (found.length === 0) {
      throw new InvalidInputError(
        'holds no checkpoint, so the run cannot resume (it stopped before its first checkpoint): start it again with --overwrite',
        { source: checkpoints },
      );
    }
    const reasons = await Promise.all(
      found.map(async (checkpoint) => `  ${checkpoint.directory}: ${await verifyCheckpoint(checkpoint.directory)}`),
    );
    throw new InvalidInputError(
      `no checkpoint verifies, so the run cannot resume:\n${reasons.join('\n')}\n(restore a checkpoint, or start the run again with --overwrite)`,
      { source: checkpoints },
    );
  }
  const held =
    existsSync(directory) && statSync(directory).isDirectory()
      ? readdirSync(directory).filter((entry) => (runDirectoryEntries as readonly string[]).includes(entry))
      : [];
  if (held.length > 0 && !options.overwrite) {
    throw new InvalidConfigError(
      'outputDirectory',
      `${directory} holds a run (${held.join(', ')}): pass --resume to continue it or --overwrite to replace it`,
    );
  }
  return undefined;
}

/** Removes the run's entries ({@link runDirectoryEntries}) from `directory`, leaving anything else there. */
export async function clearRunDirectory(directory: string): Promise<void> {
  await Promise.all(runDirectoryEntries.map((entry) => rm(join(directory, entry), { recursive: true, force: true })));
}
