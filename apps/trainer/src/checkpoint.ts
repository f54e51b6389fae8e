import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdamWParameterState } from '@research-ts/grpo';
import type { GrpoTrainerState } from '@research-ts/training';
import { openSafetensors, writeSafetensors, type TensorToWrite } from '@research-ts/policy-onnx';
import { InvalidInputError } from '@research-ts/spec';
import {
  digestDirectory,
  isTemporarySibling,
  verifyFileDigests,
  writeDirectoryAtomically,
  writeJsonAtomically,
  type FileDigest,
} from '@research-ts/spec/node';
import type { RandomState as RngState } from '@research-ts/spec';

/** The manifest's format name and version; a checkpoint of another format is not loaded. */
export const checkpointFormat = 'research-ts-checkpoint/1';

/** What one checkpoint holds besides the model directory. */
export interface CheckpointState {
  /** Training steps completed. */
  step: number;
  trainer: GrpoTrainerState;
  rng: RngState;
  /** Anything else the loop needs to continue exactly (warm-up done, counters). */
  extra: Record<string, unknown>;
}

export interface SaveCheckpointOptions extends CheckpointState {
  /** Writes the policy as a Hugging Face model directory into the given (not yet existing) folder. */
  writeModel(directory: string): Promise<void>;
}

interface Manifest {
  format: string;
  step: number;
  createdAt: string;
  /** sha256 and size of every other file of the checkpoint, by path relative to it. */
  files: Record<string, FileDigest>;
}

/** `step-000042`: zero-padded so that names sort by step. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

const namePattern = /^step-(\d{6,})$/;

/** The manifest's entries as they have always been written: `{ "sha256", "bytes" }`. */
const sha256First = (digests: Record<string, FileDigest>): Manifest['files'] =>
  Object.fromEntries(Object.entries(digests).map(([name, { sha256, bytes }]) => [name, { sha256, bytes }]));

/**
 * Writes a checkpoint under `root` as `step-NNNNNN/`: `model/` (Hugging Face format), `optimizer.safetensors`
 * (AdamW moments by parameter), `state.json` (step, optimizer steps, RNG state, extras) and last
 * `manifest.json` with the sha256 of every file. Everything goes into a temporary sibling folder that is
 * renamed into place (spec's `writeDirectoryAtomically`), so a crash leaves either no checkpoint of that step
 * or a complete one; a leftover temporary folder is ignored (and removed by the next save, as is a
 * `.partial-*` folder of earlier versions). Returns the checkpoint's path.
 */
export async function saveCheckpoint(root: string, options: SaveCheckpointOptions): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const entry of await readdir(root))
    if (isTemporarySibling(entry) || entry.startsWith('.partial-'))
      await rm(join(root, entry), { recursive: true, force: true });
  const target = join(root, checkpointName(options.step));
  await writeDirectoryAtomically(target, async (staging) => {
    await options.writeModel(join(staging, 'model'));
    const tensors: [string, TensorToWrite][] = [];
    const parameterSteps: Record<string, number> = {};
    for (const [parameter, moments] of Object.entries(options.trainer.optimizer.parameters)) {
      parameterSteps[parameter] = moments.step;
      tensors.push([`${parameter}.exp_avg`, { dtype: 'F32', shape: [moments.expAvg.length], data: moments.expAvg }]);
      tensors.push([
        `${parameter}.exp_avg_sq`,
        { dtype: 'F32', shape: [moments.expAvgSq.length], data: moments.expAvgSq },
      ]);
    }
    await writeSafetensors(join(staging, 'optimizer.safetensors'), tensors);
    const state = {
      step: options.step,
      trainer: {
        step: options.trainer.step,
        skippedSteps: options.trainer.skippedSteps,
        optimizerStep: options.trainer.optimizer.step,
        parameterSteps,
      },
      rng: options.rng,
      extra: options.extra,
    };
    await writeJsonAtomically(join(staging, 'state.json'), state);
    const manifest: Manifest = {
      format: checkpointFormat,
      step: options.step,
      createdAt: new Date().toISOString(),
      files: sha256First(await digestDirectory(staging)),
    };
    await writeJsonAtomically(join(staging, 'manifest.json'), manifest);
  });
  return target;
}

/** Checks a checkpoint folder against its manifest; returns why it is not usable, or undefined when it is. */
export async function verifyCheckpoint(directory: string): Promise<string | undefined> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as Manifest;
  } catch (error) {
    return `manifest.json is missing or unreadable (${(error as Error).message})`;
  }
  if (manifest.format !== checkpointFormat)
    return `manifest format ${JSON.stringify(manifest.format)} is not ${checkpointFormat}`;
  const entries = Object.entries(manifest.files ?? {}).map(([name, digest]) => ({ ...digest, name }));
  const [mismatch] = await verifyFileDigests(directory, entries);
  if (mismatch !== undefined) return `${mismatch.name} ${mismatch.problem}`;
  for (const required of ['state.json', 'optimizer.safetensors'])
    if (manifest.files[required] === undefined) return `the manifest does not list ${required}`;
  return undefined;
}

/** The checkpoints under `root` by step, newest first (only folders named `step-NNNNNN`). */
export async function listCheckpoints(root: string): Promise<{ step: number; directory: string }[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  return entries
    .flatMap((entry) => {
      const match = namePattern.exec(entry);
      return match === null ? [] : [{ step: Number(match[1]), directory: join(root, entry) }];
    })
    .sort((left, right) => right.step - left.step);
}

export interface LatestCheckpoint {
  step: number;
  directory: string;
  /** Newer checkpoints that failed verification, with the reason. */
  rejected: { directory: string; reason: string }[];
}

/** The newest checkpoint under `root` that passes {@link verifyCheckpoint}, or undefined. */
export async function findLatestCheckpoint(root: string): Promise<LatestCheckpoint | undefined> {
  const rejected: LatestCheckpoint['rejected'] = [];
  for (const candidate of await listCheckpoints(root)) {
    const reason = await verifyCheckpoint(candidate.directory);
    if (reason === undefined) return { ...candidate, rejected };
    rejected.push({ directory: candidate.directory, reason });
  }
  return undefined;
}

/** Reads a verified checkpoint's state (the model is at `join(directory, 'model')`). */
export async function loadCheckpointState(directory: string): Promise<CheckpointState> {
  const reason = await verifyCheckpoint(directory);
  if (reason !== undefined) throw new InvalidInputError(reason, { source: directory });
  const state = JSON.parse(await readFile(join(directory, 'state.json'), 'utf8')) as {
    step: number;
    trainer: { step: number; skippedSteps: number; optimizerStep: number; parameterSteps: Record<string, number> };
    rng: RngState;
    extra: Record<string, unknown>;
  };
  const file = await openSafetensors(join(directory, 'optimizer.safetensors'));
  try {
    const parameters: Record<string, AdamWParameterState> = {};
    for (const [parameter, step] of Object.entries(state.trainer.parameterSteps)) {
      parameters[parameter] = {
        step,
        expAvg: await file.readFloat32(`${parameter}.exp_avg`),
        expAvgSq: await file.readFloat32(`${parameter}.exp_avg_sq`),
      };
    }
    return {
      step: state.step,
      trainer: {
        step: state.trainer.step,
        skippedSteps: state.trainer.skippedSteps,
        optimizer: { step: state.trainer.optimizerStep, parameters },
      },
      rng: state.rng,
      extra: state.extra ?? {},
    };
  } finally {
    await file.close();
  }
}

/** Removes all but the newest `keep` checkpoints under `root`. */
export async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const all = await listCheckpoints(root);
  for (const old of all.slice(keep)) await rm(old.directory, { recursive: true, force: true });
}
