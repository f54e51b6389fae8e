import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxPolicy, createRandomModel, tinyConfig } from '@research-ts/policy-onnx';
import { buildBpeTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
// policy-openai's fake vLLM (its own tests' fixture): completions with logprobs, and the runtime LoRA routes
import {
  answerTurn,
  searchTurn,
  startFakeCompletionsServer,
} from '../../../packages/policy-openai/src/__fixtures__/fake-completions-server';
import { trainAgainstServer } from './main';

const localRoot = await mkdtemp(join(tmpdir(), 'external-engine-'));
afterAll(() => rm(localRoot, { recursive: true, force: true }));

describe('external-engine example', () => {
  it('trains two GRPO steps on a fake vLLM’s rollouts, loading adapter v1 then v2 between them', async () => {
    const texts = [searchTurn, answerTurn, ' <answer> \\boxed{Lyon} </answer> \\boxed{Nice} User: Assistant: ?'];
    const tokenizerJson = buildBpeTokenizer(texts, { vocabSize: 320, tagTokens: true });
    const tokenizerConfig = { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' };
    const tokenizer = loadTokenizerFromJson({ tokenizerJson, tokenizerConfig });
    const model = createRandomModel(tinyConfig({ vocabSize: tokenizer.vocabSize }), { seed: 1 });
    const lora = { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'] as ('q_proj' | 'v_proj')[] };
    const policy = await createOnnxPolicy({ model, tokenizer, lora });
    // the fake model answers right or wrong by the request's seed, so a group's rewards differ and the step updates
    const answers = [answerTurn, answerTurn.replace('{Paris}', '{Lyon}')];
    const fake = ({ seed }: { seed: number | undefined }) => tokenizer.encode(answers[(seed ?? 0) % 2]!);
    const server = await startFakeCompletionsServer({
      flavor: 'vllm',
      tokenizer,
      servedModelName: 'base',
      model: fake,
    });
    try {
      const records = await trainAgainstServer({ policy, baseURL: server.baseURL, model: 'base', localRoot, steps: 2 });
      const control = server.timeline.filter((entry) => entry.kind === 'load' || entry.kind === 'unload');
      expect(control).toEqual([
        { kind: 'load', name: 'research-ts-v1' },
        { kind: 'load', name: 'research-ts-v2' },
        { kind: 'unload', name: 'research-ts-v1' },
      ]);
      // step 1 sampled from the base model, step 2 from adapter v1: both on-policy
      const models = server.requests.filter((r) => r.path.endsWith('/completions')).map((r) => r.body.model);
      expect(new Set(models)).toEqual(new Set(['base', 'research-ts-v1']));
      expect(records.map((record) => [record.step, record.weightVersion, record.staleness, record.skipped])).toEqual([
        [1, 0, 0, false],
        [2, 1, 0, false],
      ]);
      for (const record of records) expect(record.correction).toHaveProperty('rollout_corr/kl');
      expect((await readdir(join(localRoot, 'v2'))).sort()).toEqual([
        'adapter_config.json',
        'adapter_model.safetensors',
      ]);
    } finally {
      await server.close();
      await policy.release();
    }
  }, 60_000);
});
