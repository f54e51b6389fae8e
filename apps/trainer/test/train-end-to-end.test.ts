import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../src/world-source';
import { initModel } from '../src/init-model';
import { readMetrics } from '../src/metrics-writer';
import { resolveConfig } from '../src/resolve-config';
import { train } from '../src/train';

/**
 * The demo, shortened: a random tiny policy, the format warm-up, then GRPO through the full ReSearch loop
 * on a smaller generated world (40 people, 1-hop questions), where the reward rises within a few dozen
 * steps (EXPERIMENTS.md, run 12). The reward must rise clearly and the policy must search.
 */
const smallWorld = 'data.world={"people":40,"places":10,"organisations":10,"countries":3,"questionsPerHop":{"1":90,"2":0,"3":0},"split":"question"}';
describe('train (end to end, CPU)', () => {
  it('GRPO raises the training reward of a random tiny policy and it searches', { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'research-ts-e2e-'));
    const preset = await resolveConfig({ preset: 'tiny', overrides: [smallWorld] });
    const world = buildWorld(preset.data.world!);
    const modelDirectory = join(root, 'model');
    await initModel({ directory: modelDirectory, size: 'tiny', seed: preset.seed, tokenizer: 'word', world });
    const config = await resolveConfig({
      preset: 'tiny',
      overrides: [smallWorld, 'warmup.steps=500', 'warmup.questions=train', 'training.steps=70', 'evaluation.every=0', 'evaluation.questions=18', 'checkpoint.every=20'],
      fields: { modelDirectory, outputDirectory: join(root, 'run') },
    });
    const summary = await train({ config, progress: false });
    const steps = readMetrics(join(root, 'run', 'metrics.jsonl')).filter((record) => record.kind === 'train');
    expect(steps.map((record) => record.step)).toEqual(Array.from({ length: 70 }, (_, index) => index + 1));
    const rewardOf = (records: typeof steps) => records.reduce((sum, record) => sum + (record.reward as { mean: number }).mean, 0) / records.length;
    const start = rewardOf(steps.slice(0, 10));
    const end = rewardOf(steps.slice(-10));
    expect(end - start).toBeGreaterThan(0.1);
    // every rollout searches at the end, and the greedy policy does on held-out questions
    const searches = steps.slice(-10).reduce((sum, record) => sum + (record.searchesPerRollout as number), 0) / 10;
    expect(searches).toBeGreaterThanOrEqual(0.9);
    expect(summary.heldOut.searches).toBeGreaterThanOrEqual(0.9);
    // without retrieval there is nothing to copy an answer from: near chance
    expect(summary.heldOutWithoutRetrieval!.exactMatch).toBeLessThanOrEqual(0.2);
  });
});
