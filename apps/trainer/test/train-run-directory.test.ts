import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld } from '../src/world-source';
import { initModel } from '../src/init-model';
import { readMetrics } from '../src/metrics-writer';
import { openRetriever } from '../src/open-retriever';
import { microRunConfig, runCli } from './cli-helpers';
import { startFakeRetrieverServer, type FakeRetrieverServer } from './fake-retriever-server';

/** A run of a few seconds: a micro model, a small world, a warm-up of 20 steps (metrics rows at warm-up steps 10 and 20), 2 GRPO steps. */
const config = microRunConfig({
  loss: { klCoefficient: 0, entropyCoefficient: 0 },
  training: { steps: 2, maxTokensPerMicroBatch: 1024 },
  warmup: { steps: 20, batchSize: 4, maxSearches: 1, learningRate: 1e-2 },
  evaluation: { every: 0, questions: 2 },
});

describe('research-ts train: the run folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'research-ts-run-folder-'));
  const model = join(root, 'model');
  const configFile = join(root, 'config.json');
  let retriever: FakeRetrieverServer;

  beforeAll(async () => {
    writeFileSync(configFile, JSON.stringify(config));
    await initModel({ directory: model, size: 'micro', seed: 1, tokenizer: 'word', world: config.data.world as never });
    // the world's passages over HTTP; the searches after the test search fail
    retriever = await startFakeRetrieverServer(
      await openRetriever({ kind: 'world', world: buildWorld(config.data.world as never) }),
      { failAfter: 1 },
    );
  }, 120_000);

  afterAll(async () => {
    await retriever?.close();
  });

  const train = (output: string, ...extra: string[]) =>
    runCli(['train', '--config', configFile, '-m', model, '-o', output, '--no-progress', ...extra]);

  it('a folder holding a run needs --resume or --overwrite, and a refused or failing start changes nothing in it', async () => {
    const run = join(root, 'existing');
    mkdirSync(run);
    writeFileSync(join(run, 'config.json'), '{"old": true}\n');
    writeFileSync(join(run, 'metrics.jsonl'), '{"kind":"train","step":1}\n');
    const untouched = () => {
      expect(readFileSync(join(run, 'config.json'), 'utf8')).toBe('{"old": true}\n');
      expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8')).toBe('{"kind":"train","step":1}\n');
    };
    const refused = await train(run);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `research-ts: config field "outputDirectory": ${run} holds a run (config.json, metrics.jsonl): pass --resume to continue it or --overwrite to replace it`,
    );
    untouched();
    // --overwrite with data that does not load: the error comes before the folder changes
    const badData = await train(run, '--overwrite', '--set', `data.trainFile=${join(root, 'missing.jsonl')}`);
    expect(badData.code).toBe(1);
    expect(badData.stderr).toContain('missing.jsonl');
    untouched();
    const noCheckpoint = await train(run, '--resume');
    expect(noCheckpoint.code).toBe(1);
    expect(noCheckpoint.stderr).toContain(
      `research-ts: ${join(run, 'checkpoints')}: holds no checkpoint, so the run cannot resume`,
    );
    untouched();
  });

  it('--resume of a folder that does not exist is an error, not a fresh start', async () => {
    const run = join(root, 'mistyped');
    const result = await train(run, '--resume');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `research-ts: config field "outputDirectory": ${run} does not exist: there is no run to resume`,
    );
    expect(existsSync(run)).toBe(false);
  });

  it('a retriever that cannot be used stops train at its start, naming it, before the run folder is made', async () => {
    const run = join(root, 'wrong-retriever');
    const result = await train(run, '--set', 'retriever.kind=http', '--set', `retriever.url=${retriever.url}/v1`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `research-ts: the retriever cannot be used: its test search failed (retriever "http:flashrag:${retriever.url}/v1/" failed after 1 try`,
    );
    expect(existsSync(run)).toBe(false);
  });

  it('a resumed run keeps the warm-up’s rows and the reward of the steps before it', { timeout: 300_000 }, async () => {
    const run = join(root, 'resumed');
    const first = await train(run);
    expect(first.code, first.stderr).toBe(0);
    const firstStep = readMetrics(join(run, 'metrics.jsonl')).find(
      (record) => record.kind === 'train' && record.step === 1,
    )!;
    const resumed = await train(run, '--resume', '--set', 'training.steps=3');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*step-000002 \(step 2\)/);
    const rows = readMetrics(join(run, 'metrics.jsonl'));
    expect(rows.filter((record) => record.kind === 'warmup').map((record) => record.step)).toEqual([10, 20]);
    expect(rows.filter((record) => record.kind === 'train').map((record) => record.step)).toEqual([1, 2, 3]);
    const stepOne = resumed.stdout.split('\n').find((line) => line.startsWith('training reward, step 1'))!;
    expect(stepOne.trim().split(/\s+/).at(-1)).toBe((firstStep.reward as { mean: number }).mean.toFixed(3));
    expect(existsSync(join(run, 'warmup-model'))).toBe(true);
  });

  it(
    'a retriever that fails during training stops the run with a non-zero exit, naming it',
    { timeout: 300_000 },
    async () => {
      const run = join(root, 'retriever-down');
      retriever.failing = false;
      const result = await train(run, '--set', 'retriever.kind=http', '--set', `retriever.url=${retriever.url}`);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `research-ts: retriever "http:flashrag:${retriever.url}/" failed after 1 try: .*HTTP 422: the index is not loaded.*none may fail`,
        ),
      );
    },
  );
});
