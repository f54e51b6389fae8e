import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnnxPolicy } from '@research-ts/policy-onnx';
import { InvalidConfigError } from '@research-ts/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeCompletionsServer } from '../../../packages/policy-openai/src/__fixtures__/fake-completions-server';
import { createTestTokenizer } from '../../../packages/policy-openai/src/__fixtures__/test-tokenizer';
import { openRolloutServer, rolloutCorrectionOf, weightSyncRecord } from './rollout-server';
import { parseTrainerConfig } from './trainer-config';

const localRoot = await mkdtemp(join(tmpdir(), 'rollout-server-'));
afterAll(() => rm(localRoot, { recursive: true, force: true }));
const tokenizer = createTestTokenizer();

/** The two writers the sync calls, recording which one ran. */
function stubPolicy(written: string[]): OnnxPolicy {
  const write = (kind: string) => async (directory: string) => {
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, `${kind}.json`), '{}');
    written.push(`${kind} ${directory}`);
    return directory;
  };
  return { tokenizer, saveAdapter: write('adapter'), save: write('model') } as unknown as OnnxPolicy;
}

const configOf = (server: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseTrainerConfig({ modelDirectory: '/models/base', rollout: { server }, ...extra });

function configError(input: unknown): InvalidConfigError {
  try {
    parseTrainerConfig(input);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('rollout.server config', () => {
  const server = { url: 'http://gpu:8000/v1', kind: 'vllm', model: 'base', localRoot: '/shared/run' };

  it('defaults the rollout correction to token-tis with a server, and to none without', () => {
    expect(rolloutCorrectionOf(configOf(server, { lora: {} }))).toEqual({ mode: 'token-tis' });
    const chosen = configOf(server, {
      lora: {},
      training: { rolloutCorrection: { mode: 'sequence-mis', threshold: 3 } },
    });
    expect(rolloutCorrectionOf(chosen)).toEqual({ mode: 'sequence-mis', threshold: 3 });
    expect(rolloutCorrectionOf(parseTrainerConfig({}))).toBeUndefined();
    expect(configOf(server, { lora: {} }).lora).toEqual({
      rank: 16,
      alpha: 32,
      targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
      rsLora: false,
    });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'vLLM without LoRA',
      { rollout: { server } },
      /"lora".*vLLM’s runtime update \(\/v1\/load_lora_adapter\) loads LoRA adapters/,
    ],
    [
      'SGLang with LoRA',
      { rollout: { server: { ...server, kind: 'sglang' } }, lora: {} },
      /"lora".*SGLang documents \/load_lora_adapter, but the weight sync implements only its \/update_weights_from_disk/,
    ],
    [
      'a correction without a server',
      { training: { rolloutCorrection: {} } },
      /"training.rolloutCorrection".*needs rollout.server/,
    ],
    ['a warm-up with a server', { rollout: { server }, lora: {}, warmup: { steps: 5 } }, /"warmup.steps".*must be 0/],
    ['an unknown kind', { rollout: { server: { ...server, kind: 'tgi' } }, lora: {} }, /rollout.server.kind/],
    [
      'a relative localRoot',
      { rollout: { server: { ...server, localRoot: 'runs/x' } }, lora: {} },
      /rollout.server.localRoot.*absolute/,
    ],
    [
      'an unknown correction mode',
      { rollout: { server }, lora: {}, training: { rolloutCorrection: { mode: 'tis' } } },
      /rolloutCorrection.mode/,
    ],
    ['an unknown LoRA target', { rollout: { server }, lora: { targets: ['qkv'] } }, /lora.targets.0/],
  ])('refuses %s, naming the field', (_label, input, message) => {
    expect(configError(input).message).toMatch(message);
  });
});

describe('openRolloutServer', () => {
  it('vllm: publishes each step’s adapter under localRoot/v<step> and removes the previous one', async () => {
    const fake = await startFakeCompletionsServer({ flavor: 'vllm', tokenizer, servedModelName: 'base' });
    try {
      const written: string[] = [];
      const config = configOf({ url: fake.baseURL, kind: 'vllm', model: 'base', localRoot }, { lora: {} });
      const server = openRolloutServer(config, stubPolicy(written), { initialVersion: 0 })!;
      await server.publish(1);
      const second = await server.publish(2);
      expect(written).toEqual([`adapter ${join(localRoot, 'v1')}`, `adapter ${join(localRoot, 'v2')}`]);
      expect([...fake.loraAdapters.keys()]).toEqual(['research-ts-v2']);
      expect(existsSync(join(localRoot, 'v1'))).toBe(false);
      expect(existsSync(join(localRoot, 'v2'))).toBe(true);
      const record = weightSyncRecord(1, [1, 1], second);
      expect(record).toMatchObject({ weightVersion: 1, staleness: { mean: 0, max: 0 }, weightSync: { version: 2 } });
      expect(Object.keys(record.weightSync!).sort()).toEqual(['serverMs', 'version', 'waitMs', 'writeMs']);
    } finally {
      await fake.close();
    }
  });

  it('sglang: writes the merged model and updates the weights from disk', async () => {
    const fake = await startFakeCompletionsServer({ flavor: 'sglang', tokenizer });
    try {
      const written: string[] = [];
      const config = configOf({ url: fake.baseURL, kind: 'sglang', model: 'base', localRoot, serverRoot: '/srv/run' });
      const server = openRolloutServer(config, stubPolicy(written), { initialVersion: 0 })!;
      await server.publish(1);
      expect(written).toEqual([`model ${join(localRoot, 'v1')}`]);
      expect(fake.weights).toEqual({ path: '/srv/run/v1', version: '1' });
    } finally {
      await fake.close();
    }
  });

  it('is undefined without rollout.server', () => {
    expect(openRolloutServer(parseTrainerConfig({}), stubPolicy([]), { initialVersion: 0 })).toBeUndefined();
  });
});
