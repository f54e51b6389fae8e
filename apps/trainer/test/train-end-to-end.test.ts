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
 * The demo, shortened: the `tiny` preset's world (1-hop questions about where a company is based, 2-hop questions
 * about where the company a person works for is based), a random tiny policy, a shorter format warm-up (600 steps),
 * then 100 GRPO steps at a constant learning rate through the full ReSearch loop. The policy must learn the second
 * hop: on held-out 2-hop questions its greedy reward must rise clearly above the warmed-up policy's, and its 2-hop
 * rollouts must search twice or more rather than once. It must also answer far better with the retriever than with
 * one that returns nothing, and against a corpus whose names are permuted it must answer what that corpus says.
 */
describe('train (end to end, CPU)', () => {
  it('GRPO teaches a random tiny policy to search twice for 2-hop questions', { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'research-ts-e2e-'));
    const preset = await resolveConfig({ preset: 'tiny' });
    const world = buildWorld(preset.data.world!);
    const modelDirectory = join(root, 'model');
    await initModel({ directory: modelDirectory, size: 'tiny', seed: preset.seed, tokenizer: 'word', world });
    const config = await resolveConfig({
      preset: 'tiny',
      // a constant learning rate: the preset's cosine decay is for its long run
      overrides: [
        'warmup.steps=600',
        'training.steps=100',
        'optimizer.schedule=constant',
        'evaluation.every=0',
        'evaluation.questions=40',
        'checkpoint.every=50',
      ],
      fields: { modelDirectory, outputDirectory: join(root, 'run') },
    });
    const summary = await train({ config, progress: false });
    const steps = readMetrics(join(root, 'run', 'metrics.jsonl')).filter((record) => record.kind === 'train');
    expect(steps.map((record) => record.step)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    // the greedy held-out 2-hop reward (less noisy than sampled steps) rose clearly from the warmed-up policy's
    const hopsOf = new Map(
      [...world.questions.train, ...world.questions.heldOut].map((question) => [
        question.question,
        question.metadata.hops,
      ]),
    );
    const questions = world.questions.heldOut
      .slice(0, 40)
      .map(({ id, question, goldenAnswers }) => ({ id, question, goldenAnswers }));
    expect(questions.filter((question) => hopsOf.get(question.question) === 2).length).toBeGreaterThanOrEqual(20);
    const before = await createOnnxPolicy({ modelDirectory: join(root, 'run', 'warmup-model'), threads: 1 });
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
    const startOfRl = summarizePredictions(predictions.filter((prediction) => hopsOf.get(prediction.question) === 2));
    const twoHop = summary.heldOutByHops!.find((type) => type.hops === 2)!;
    // on 2-hop questions, the training rollouts of the last 20 steps that searched twice or more, and once
    const late = readMetrics(join(root, 'run', 'rollouts.jsonl')).filter(
      (record) => record.step > 80 && hopsOf.get(record.question as string) === 2,
    );
    const searchesOf = (record: (typeof late)[number]) =>
      (record.segments as { kind: string }[]).filter((segment) => segment.kind === 'result').length;
    const several = late.filter((record) => searchesOf(record) >= 2).length;
    const once = late.filter((record) => searchesOf(record) === 1).length;
    // the measured values, for the CI log
    console.info(
      `e2e: 2-hop greedy held-out reward ${startOfRl.reward.toFixed(3)} -> ${twoHop.reward.toFixed(3)} (EM ${twoHop.exactMatch.toFixed(3)}, ` +
        `${twoHop.count} questions); 2-hop rollouts of steps 81-100 with >= 2 searches ${several}, with 1 ${once}; held-out EM ` +
        `${summary.heldOut.exactMatch.toFixed(3)}, without retrieval ${summary.heldOutWithoutRetrieval!.exactMatch.toFixed(3)}, ` +
        `permuted corpus followed ${summary.heldOutWithDecoyCorpus!.followsCorpus.toFixed(3)} / real ${summary.heldOutWithDecoyCorpus!.exactMatch.toFixed(3)}`,
    );
    expect(twoHop.reward).toBeGreaterThan(startOfRl.reward + 0.2);
    expect(several).toBeGreaterThan(once);
    expect(twoHop.searches).toBeGreaterThanOrEqual(1.9);
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
