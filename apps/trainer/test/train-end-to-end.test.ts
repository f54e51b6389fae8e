import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOnnxPolicy } from '@research-ts/policy-onnx';
import { evaluateQuestions, summarizePredictions } from '@research-ts/training';
import { openRetriever } from '../src/open-retriever';
import { buildWorld } from '../src/world-source';
import { initModel } from '../src/init-model';
import { readMetrics } from '../src/metrics-writer';
import { resolveConfig } from '../src/resolve-config';
import { train } from '../src/train';

/**
 * The demo, shortened: the `tiny` preset's world, a random tiny policy, a shorter format warm-up (whose
 * queries and answers are random), then 60 GRPO steps through the full ReSearch loop. The reward must rise
 * clearly, the policy must search, it must answer held-out questions far better with the retriever than with
 * one that returns nothing, and against a corpus whose names are permuted it must answer what that corpus says.
 */
describe('train (end to end, CPU)', () => {
  it('GRPO raises the training reward of a random tiny policy and it searches', { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'research-ts-e2e-'));
    const preset = await resolveConfig({ preset: 'tiny' });
    const world = buildWorld(preset.data.world!);
    const modelDirectory = join(root, 'model');
    await initModel({ directory: modelDirectory, size: 'tiny', seed: preset.seed, tokenizer: 'word', world });
    const config = await resolveConfig({
      preset: 'tiny',
      // a constant learning rate: the preset's cosine decay is for its long run
      overrides: [
        'warmup.steps=500',
        'training.steps=60',
        'optimizer.schedule=constant',
        'evaluation.every=0',
        'evaluation.questions=40',
        'checkpoint.every=20',
      ],
      fields: { modelDirectory, outputDirectory: join(root, 'run') },
    });
    const summary = await train({ config, progress: false });
    const steps = readMetrics(join(root, 'run', 'metrics.jsonl')).filter((record) => record.kind === 'train');
    expect(steps.map((record) => record.step)).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    const rewardOf = (records: typeof steps) =>
      records.reduce((sum, record) => sum + (record.reward as { mean: number }).mean, 0) / records.length;
    const start = rewardOf(steps.slice(0, 10));
    const end = rewardOf(steps.slice(-10));
    expect(end - start).toBeGreaterThan(0.05);
    // the greedy held-out reward (less noisy than 10 sampled steps) rose clearly from the warmed-up policy's
    const before = await createOnnxPolicy({ modelDirectory: join(root, 'run', 'warmup-model'), threads: 1 });
    const questions = world.questions.heldOut
      .slice(0, 40)
      .map(({ id, question, goldenAnswers }) => ({ id, question, goldenAnswers }));
    const predictions = await evaluateQuestions({
      policy: before,
      retriever: await openRetriever({ kind: 'world', world }),
      tokenizer: before.tokenizer,
      questions,
      template: config.prompt.template,
      responseBudget: config.rollout.responseBudget,
      topK: config.retriever.topK,
    });
    await before.release();
    const startOfRl = summarizePredictions(predictions);
    // the measured values, for the CI log
    console.info(
      `e2e: training reward ${start.toFixed(3)} -> ${end.toFixed(3)} (first / last 10 steps); greedy held-out reward ${startOfRl.reward.toFixed(3)} -> ` +
        `${summary.heldOut.reward.toFixed(3)}, EM ${summary.heldOut.exactMatch.toFixed(3)}, without retrieval ${summary.heldOutWithoutRetrieval!.exactMatch.toFixed(3)}, ` +
        `permuted corpus followed ${summary.heldOutWithDecoyCorpus!.followsCorpus.toFixed(3)} / real ${summary.heldOutWithDecoyCorpus!.exactMatch.toFixed(3)}`,
    );
    expect(summary.heldOut.reward).toBeGreaterThan(startOfRl.reward + 0.15);
    // every rollout searches at the end, and the greedy policy does on held-out questions
    const searches = steps.slice(-10).reduce((sum, record) => sum + (record.searchesPerRollout as number), 0) / 10;
    expect(searches).toBeGreaterThanOrEqual(0.9);
    expect(summary.heldOut.searches).toBeGreaterThanOrEqual(0.9);
    // without retrieval there is nothing to copy an answer from: near chance, far below the held-out EM with it
    expect(summary.heldOutWithoutRetrieval!.exactMatch).toBeLessThanOrEqual(0.1);
    expect(summary.heldOut.exactMatch).toBeGreaterThan(summary.heldOutWithoutRetrieval!.exactMatch + 0.2);
    // it reads: against the corpus with its names permuted it answers what the corpus says, not the real fact
    const decoy = summary.heldOutWithDecoyCorpus!;
    expect(decoy.count).toBe(40);
    expect(decoy.exactMatch).toBeLessThanOrEqual(0.1);
    expect(decoy.followsCorpus).toBeGreaterThan(decoy.exactMatch + 0.2);
  });
});
