import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildWorld } from '../src/world-source';
import { initModel } from '../src/init-model';
import { readMetrics } from '../src/metrics-writer';
import { resolveConfig } from '../src/resolve-config';
import { train } from '../src/train';
import { microRunConfig } from './cli-helpers';

/** Each report write: the GRPO steps in metrics.jsonl at that moment (or the error it was told to throw). */
const reportWrites = vi.hoisted(() => ({ steps: [] as number[], failWith: undefined as string | undefined }));

vi.mock('@research-ts/report', async (importOriginal) => {
  const original = await importOriginal<typeof import('@research-ts/report')>();
  return {
    ...original,
    writeRunReport: async (options: Parameters<typeof original.writeRunReport>[0]) => {
      const metricsFile = join(options.runDirectory, 'metrics.jsonl');
      reportWrites.steps.push(readMetrics(metricsFile).filter((record) => record.kind === 'train').length);
      if (reportWrites.failWith !== undefined) throw new Error(reportWrites.failWith);
      return original.writeRunReport(options);
    },
  };
});

/** A run of a few seconds: a micro world and model, a warm-up of 20 steps, 2 GRPO steps, a checkpoint every step. */
const settings = microRunConfig({
  loss: { klCoefficient: 0, entropyCoefficient: 0 },
  training: { steps: 2, maxTokensPerMicroBatch: 1024 },
  warmup: { steps: 20, batchSize: 4, maxSearches: 1, learningRate: 1e-2 },
  evaluation: { every: 0, questions: 2 },
});

describe('train writes report.html', () => {
  const root = mkdtempSync(join(tmpdir(), 'research-ts-train-report-'));
  const model = join(root, 'model');
  const configOf = (outputDirectory: string) =>
    resolveConfig({ fields: { ...settings, modelDirectory: model, outputDirectory } });

  beforeAll(async () => {
    const config = await configOf(join(root, 'unused'));
    await initModel({
      directory: model,
      size: 'micro',
      seed: 1,
      tokenizer: 'word',
      world: buildWorld(config.data.world!),
    });
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'at each checkpoint (the warm-up’s, steps 1 and 2) and at the end, with the held-out results',
    { timeout: 300_000 },
    async () => {
      reportWrites.steps = [];
      reportWrites.failWith = undefined;
      const output = join(root, 'run');
      await train({ config: await configOf(output), progress: false, log: () => {} });
      expect(reportWrites.steps).toEqual([0, 1, 2, 2]);
      const html = readFileSync(join(output, 'report.html'), 'utf8');
      expect(html).toContain('<th>held-out EM, greedy (2 questions)</th>');
      expect(html).toContain('<th>held-out EM, retriever returns nothing</th>');
      expect(html).toContain('<th>names permuted in the corpus: answers as the corpus says</th>');
      expect(html).toContain('<h3>Warm-up loss <span');
      expect(html).toContain(`<p class="directory"><code>${output}</code></p>`);
    },
  );

  it('a report that cannot be written is logged, and the run finishes', { timeout: 300_000 }, async () => {
    reportWrites.steps = [];
    reportWrites.failWith = 'disk full';
    const output = join(root, 'run-without-report');
    const lines: string[] = [];
    const summary = await train({ config: await configOf(output), progress: false, log: (line) => lines.push(line) });
    expect(summary.steps).toBe(2);
    expect(existsSync(join(output, 'model'))).toBe(true);
    expect(existsSync(join(output, 'report.html'))).toBe(false);
    expect(lines.filter((line) => line.includes('report.html'))).toEqual(
      Array(4).fill(`could not write ${output}/report.html (training goes on): disk full`),
    );
  });
});
