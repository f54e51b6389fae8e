import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '@research-ts/datasets';
import { buildPromptIds } from '@research-ts/rollout';
import { loadTokenizer } from '@research-ts/tokenizer';
import type { Tokenizer } from '@research-ts/spec';
// policy-openai's fake vLLM / SGLang (its own tests' fixture): completions with logprobs, and the weight-sync routes
import {
  startFakeCompletionsServer,
  type FakeCompletionsServer,
  type FakeModelInput,
} from '../../../packages/policy-openai/src/__fixtures__/fake-completions-server';
import { initModel } from '../src/init-model';
import { readMetrics } from '../src/metrics-writer';
import { resolveConfig } from '../src/resolve-config';
import { train } from '../src/train';
import { buildWorld } from '../src/world-source';
import { microRunConfig, runCli } from './cli-helpers';

/**
 * `research-ts train` with `rollout.server`: 3 GRPO steps of a micro model whose rollouts come from policy-openai's
 * fake vLLM (LoRA adapters loaded per step) or fake SGLang (full weights reloaded per step), no warm-up.
 */
const steps = 3;
const base = microRunConfig({
  loss: { klCoefficient: 0, entropyCoefficient: 0 },
  training: { steps, maxTokensPerMicroBatch: 1024 },
  evaluation: { every: 0, questions: 2 },
  checkpoint: { every: steps, keep: 1 },
});

/**
 * The fake server's model, in the ReSearch format the world tokenizer knows: it searches the question's name,
 * then answers, right or wrong by the request's seed (so that a group's rewards differ and every step updates).
 */
function researchModel(tokenizer: Tokenizer, world: World) {
  const questions = world.questions.train.map((question) => ({
    promptIds: buildPromptIds(tokenizer, question.question, 'compact'),
    query: question.metadata.searchQueries[0]!,
    answer: question.goldenAnswers[0]!,
  }));
  const wrong = world.entities.find((entity) => entity.type === 'place')!.name;
  return ({ promptIds, promptText, seed }: FakeModelInput) => {
    const asked = questions.find((question) => question.promptIds.every((id, index) => promptIds[index] === id));
    if (asked === undefined) throw new Error(`the fake model does not know the prompt ${promptText}`);
    const text = promptText.includes('<result>')
      ? `<think> </think> <answer> \\boxed{ ${(seed ?? 0) % 2 === 0 ? asked.answer : wrong} } </answer><|im_end|>`
      : `<think> </think> <search> ${asked.query} </search>`;
    return tokenizer.encode(text, { addSpecialTokens: false });
  };
}

/** What the server did, in order, each run of completions on one model as one entry. */
function phases(server: FakeCompletionsServer): string[] {
  const entries = server.timeline.flatMap((entry) => {
    if (entry.kind === 'update-weights') return [`update ${entry.path}`];
    if (entry.kind === 'load' || entry.kind === 'unload') return [`${entry.kind} ${entry.name}`];
    return entry.kind === 'completion-start' ? [`completions ${entry.model}`] : [];
  });
  return entries.filter((entry, index) => entry !== entries[index - 1]);
}

/** The bytes of the files under `directory` (recursively). */
function sizeOf(directory: string): number {
  return readdirSync(directory, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(directory, entry.name);
    return sum + (entry.isDirectory() ? sizeOf(path) : statSync(path).size);
  }, 0);
}

describe('train with rollout.server (fake vLLM / SGLang)', () => {
  const root = mkdtempSync(join(tmpdir(), 'research-ts-rollout-server-'));
  const modelDirectory = join(root, 'model');
  let tokenizer: Tokenizer;
  let world: World;

  beforeAll(async () => {
    world = buildWorld(base.data.world as never);
    await initModel({ directory: modelDirectory, size: 'micro', seed: 1, tokenizer: 'word', world });
    tokenizer = await loadTokenizer(modelDirectory);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Trains `steps` steps in-process against `server`; the `train` lines of metrics.jsonl. */
  async function trainAgainst(server: FakeCompletionsServer, name: string, fields: Record<string, unknown>) {
    const output = join(root, name);
    const config = await resolveConfig({
      fields: { ...mergeRollout(fields, server.baseURL), modelDirectory, outputDirectory: output },
    });
    const summary = await train({ config, progress: false, log: () => {} });
    const records = readMetrics(join(output, 'metrics.jsonl')).filter((record) => record.kind === 'train');
    return { summary, records, output };
  }
  const mergeRollout = (fields: Record<string, unknown>, url: string) => {
    const rollout = fields.rollout as { server: Record<string, unknown> };
    return { ...base, ...fields, rollout: { ...base.rollout, server: { ...rollout.server, url } } };
  };

  /** Each train line: the rollouts' version, staleness 0, the sync's timings, the rollout correction's metrics. */
  function expectSyncMetrics(records: Record<string, unknown>[]) {
    expect(records.map((record) => [record.step, record.weightVersion, record.staleness, record.skipped])).toEqual(
      Array.from({ length: steps }, (_, index) => [index + 1, index, { mean: 0, max: 0 }, null]),
    );
    for (const record of records) {
      const sync = record.weightSync as Record<string, number>;
      expect(Object.keys(sync).sort()).toEqual(['serverMs', 'version', 'waitMs', 'writeMs']);
      expect(sync.version).toBe(record.step);
      for (const key of ['writeMs', 'waitMs', 'serverMs']) expect(sync[key]).toBeGreaterThanOrEqual(0);
      const correction = record.rolloutCorrection as Record<string, number>;
      expect(correction).toHaveProperty('rollout_corr/kl');
      expect(correction.rejectedTokenCount).toBe(0); // token-tis truncates, it rejects nothing
    }
  }

  it('vllm with LoRA: loads adapter v<step> after each step, unloads the previous, samples from the latest', async () => {
    const localRoot = join(root, 'adapters');
    const server = await startFakeCompletionsServer({
      flavor: 'vllm',
      tokenizer,
      servedModelName: 'base',
      model: researchModel(tokenizer, world),
      answerDelayMs: 0,
      controlDelayMs: 0,
    });
    try {
      const { summary, records, output } = await trainAgainst(server, 'vllm', {
        rollout: { server: { kind: 'vllm', model: 'base', localRoot } },
        lora: { rank: 4, alpha: 8 },
      });
      // each step samples from the weights the step before it published (base, v1, v2), then publishes its own
      expect(phases(server)).toEqual([
        'completions base',
        'load research-ts-v1',
        'completions research-ts-v1',
        'load research-ts-v2',
        'unload research-ts-v1',
        'completions research-ts-v2',
        'load research-ts-v3',
        'unload research-ts-v2',
      ]);
      expect([...server.loraAdapters]).toEqual([['research-ts-v3', join(localRoot, 'v3')]]);
      expectSyncMetrics(records);
      // only the version the server holds stays on disk: the PEFT adapter
      expect(readdirSync(localRoot)).toEqual(['v3']);
      expect(readdirSync(join(localRoot, 'v3')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
      expect(summary.steps).toBe(steps);
      expect(summary.modelDirectory).toBe(join(output, 'model'));
      expect(existsSync(join(output, 'model', 'model.safetensors'))).toBe(true);
      logSync('vllm LoRA', records, sizeOf(join(localRoot, 'v3')));
    } finally {
      await server.close();
    }
  });

  it('sglang without LoRA: updates the full weights from disk after each step, at the server-side paths', async () => {
    const localRoot = join(root, 'weights');
    const server = await startFakeCompletionsServer({
      flavor: 'sglang',
      tokenizer,
      model: researchModel(tokenizer, world),
      answerDelayMs: 0,
      controlDelayMs: 0,
    });
    try {
      const { summary, records, output } = await trainAgainst(server, 'sglang', {
        rollout: { server: { kind: 'sglang', model: 'base', localRoot, serverRoot: '/srv/run-7' } },
      });
      // SGLang serves one model name: each step's completions, then its update, at the path the server sees
      expect(phases(server)).toEqual([
        'completions base',
        'update /srv/run-7/v1',
        'completions base',
        'update /srv/run-7/v2',
        'completions base',
        'update /srv/run-7/v3',
      ]);
      const updates = server.requests.filter((request) => request.path === '/update_weights_from_disk');
      expect(updates.map((request) => request.body.weight_version)).toEqual(['1', '2', '3']);
      expect(server.weights).toEqual({ path: '/srv/run-7/v3', version: '3' });
      expectSyncMetrics(records);
      // the merged model in bf16, and only the latest version
      expect(readdirSync(localRoot)).toEqual(['v3']);
      expect(readdirSync(join(localRoot, 'v3'))).toContain('model.safetensors');
      expect(JSON.parse(readFileSync(join(localRoot, 'v3', 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
      expect(summary.modelDirectory).toBe(join(output, 'model'));
      expect(existsSync(join(output, 'model', 'model.safetensors'))).toBe(true);
      logSync('sglang full', records, sizeOf(join(localRoot, 'v3')));
    } finally {
      await server.close();
    }
  });

  it('refuses vllm without lora before any work, naming the field (CLI flags)', async () => {
    const server = await startFakeCompletionsServer({ flavor: 'vllm', tokenizer });
    try {
      const output = join(root, 'refused');
      const configFile = join(root, 'refused.json');
      const { rollout } = base;
      const localRoot = join(root, 'refused-adapters');
      writeFileSync(
        configFile,
        JSON.stringify({ ...base, rollout: { ...rollout, server: { model: 'base', localRoot } } }),
      );
      const result = await runCli([
        'train',
        '--config',
        configFile,
        '-m',
        modelDirectory,
        '-o',
        output,
        '--no-progress',
        '--rollout-server',
        server.baseURL,
        '--rollout-server-kind',
        'vllm',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('config field "lora"');
      expect(result.stderr).toContain('is required with rollout.server.kind "vllm"');
      expect(existsSync(output)).toBe(false);
      expect(existsSync(localRoot)).toBe(false);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

/** The sync's bytes and timings, for the CI log. */
function logSync(label: string, records: Record<string, unknown>[], bytes: number) {
  const syncs = records.map((record) => record.weightSync as Record<string, number>);
  const mean = (key: string) => syncs.reduce((sum, sync) => sum + sync[key]!, 0) / syncs.length;
  console.info(
    `${label}: ${bytes} bytes per sync, writeMs ${mean('writeMs').toFixed(1)}, serverMs ${mean('serverMs').toFixed(1)}, waitMs ${mean('waitMs').toFixed(1)} (mean of ${syncs.length})`,
  );
}
