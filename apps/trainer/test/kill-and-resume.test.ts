import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLatestCheckpoint } from '../src/checkpoint';
import { readMetrics } from '../src/metrics-writer';
import { microRunConfig, runCli, sha256, startCli } from './cli-helpers';

/** A run small enough to be killed many times in a test: a micro model, a small world, a checkpoint every step. */
const config = microRunConfig({
  loss: { klCoefficient: 0.001, entropyCoefficient: 0.001 },
  training: { steps: 8, maxTokensPerMicroBatch: 1024 },
  warmup: { steps: 3, batchSize: 2, maxSearches: 2 },
  evaluation: { every: 0, questions: 3 },
});

const trainLines = (runDirectory: string) =>
  readMetrics(join(runDirectory, 'metrics.jsonl'))
    .filter((record) => record.kind === 'train')
    .map((record) => ({
      step: record.step,
      reward: record.reward,
      loss: record.loss,
      gradNorm: record.gradNorm,
      searches: record.searchesPerRollout,
      entropy: record.entropy,
      kl: record.kl,
    }));

/** A deterministic stream of kill delays (ms), so a failure can be replayed. */
function* killDelays(seed: number, low: number, high: number): Generator<number> {
  let state = seed;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield low + (state / 2 ** 32) * (high - low);
  }
}

describe('kill -9 during training, then --resume', () => {
  it(
    'loses at most one step’s work per kill and ends bit-identical to an uninterrupted run',
    { timeout: 300_000 },
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'research-ts-kill-'));
      const configFile = join(root, 'config.json');
      writeFileSync(configFile, JSON.stringify(config));
      const model = join(root, 'model');
      const init = await runCli(['init-model', model, '--size', 'micro', '--config', configFile]);
      expect(init.code, init.stderr).toBe(0);

      // The reference: one uninterrupted run.
      const reference = join(root, 'reference');
      const started = Date.now();
      const uninterrupted = await runCli(['train', '--config', configFile, '-m', model, '-o', reference]);
      expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
      const duration = Date.now() - started;

      // The same run, killed with SIGKILL at random moments and resumed until it finishes.
      const killed = join(root, 'killed');
      const delays = killDelays(2024, 0.15 * duration, 0.8 * duration);
      const kills: { delay: number; stepsWritten: number; resumedAt: number | undefined }[] = [];
      let finished = false;
      for (let attempt = 0; attempt < 12 && !finished; attempt++) {
        // a run killed before its first checkpoint cannot resume (--resume would say so): it starts again
        const resumable = attempt > 0 && (await findLatestCheckpoint(join(killed, 'checkpoints'))) !== undefined;
        const resume = attempt === 0 ? [] : resumable ? ['--resume'] : ['--overwrite'];
        const run = startCli(['train', '--config', configFile, '-m', model, '-o', killed, ...resume]);
        const delay = attempt < 5 ? delays.next().value : Number.POSITIVE_INFINITY; // after 5 kills, let it finish
        const timer = Number.isFinite(delay) ? setTimeout(() => run.child.kill('SIGKILL'), delay) : undefined;
        const result = await run.done;
        clearTimeout(timer);
        if (result.signal === 'SIGKILL') {
          const written = existsSync(join(killed, 'metrics.jsonl')) ? trainLines(killed).length : 0;
          const checkpoint = await findLatestCheckpoint(join(killed, 'checkpoints'));
          kills.push({ delay, stepsWritten: written, resumedAt: checkpoint?.step });
          // at most one step's work is lost: the newest good checkpoint is at most one step behind the metrics
          if (checkpoint !== undefined && checkpoint.step > 0) expect(written - checkpoint.step).toBeLessThanOrEqual(1);
          continue;
        }
        expect(result.code, result.stderr).toBe(0);
        if (attempt > 0) expect(result.stderr).toMatch(/resumed from .*step-\d{6} \(step \d+\)|warm-up/);
        finished = true;
      }
      expect(finished).toBe(true);
      expect(kills.length).toBeGreaterThanOrEqual(3);

      // Nothing else is lost or changed: the same metrics step by step, the same final weights.
      expect(trainLines(killed)).toEqual(trainLines(reference));
      expect(trainLines(killed).map((line) => line.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(sha256(join(killed, 'model', 'model.safetensors'))).toBe(
        sha256(join(reference, 'model', 'model.safetensors')),
      );
      const evaluations = (directory: string) =>
        readMetrics(join(directory, 'metrics.jsonl')).filter((record) => record.kind.startsWith('eval'));
      expect(evaluations(killed).map(({ time: _time, ...rest }) => rest)).toEqual(
        evaluations(reference).map(({ time: _time, ...rest }) => rest),
      );
    },
  );
});
