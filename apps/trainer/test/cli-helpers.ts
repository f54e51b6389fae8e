import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests spawn the CLI from its source through tsx, as `npm run cli` does). */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const cliPath = join(repositoryRoot, 'apps/trainer/src/cli.ts');

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exits: its code (null when killed), signal and output. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `research-ts <args>` as a child process (in the repository root unless `cwd` says otherwise). */
export function startCli(
  args: readonly string[],
  environment: NodeJS.ProcessEnv = {},
  cwd: string = repositoryRoot,
): CliRun {
  const child = spawn(process.execPath, ['--conditions=@research-ts/source', '--import', 'tsx', cliPath, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolvePromise) => {
      child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    },
  );
  return { child, done };
}

/** Runs `research-ts <args>` to completion. */
export function runCli(args: readonly string[], environment: NodeJS.ProcessEnv = {}, cwd?: string) {
  return startCli(args, environment, cwd).done;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The config of a run of a few seconds for CLI tests: a micro world of 30 people (1-hop questions, split by
 * question), 3 rollouts of 2 prompts per step, a checkpoint every step; `overrides` replaces whole sections.
 */
export function microRunConfig(overrides: Record<string, unknown> = {}) {
  const base = {
    seed: 5,
    data: {
      world: {
        seed: 3,
        people: 30,
        places: 8,
        organisations: 8,
        countries: 3,
        personNameWords: 1,
        organisationSuffixes: [],
        relations: ['born_in', 'works_for'],
        questionsPerHop: { 1: 20, 2: 0, 3: 0 },
        split: 'question',
      },
    },
    retriever: { kind: 'world', topK: 1 },
    prompt: { template: 'compact' },
    rollout: { groupSize: 3, promptsPerStep: 2, responseBudget: 40 },
    optimizer: { learningRate: 1e-2, weightDecay: 0 },
    checkpoint: { every: 1, keep: 3 },
    runtime: { threads: 1 },
  };
  return { ...base, ...overrides } as typeof base & Record<string, unknown>;
}
