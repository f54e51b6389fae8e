import type { GenerateRequest } from '@research-ts/spec';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCompletionsServer, type FakeCompletionsServer } from './__fixtures__/fake-completions-server';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { createOpenAICompletionsPolicy } from './create-openai-completions-policy';
import { createWeightSync } from './weight-sync';

const tokenizer = createTestTokenizer();
const servers: FakeCompletionsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const request: GenerateRequest = {
  inputIds: tokenizer.encode('Question: ?\n'),
  maxNewTokens: 40,
  stopStrings: ['</search>'],
};

async function setup(answerDelayMs: number, controlDelayMs: number) {
  const server = await startFakeCompletionsServer({
    flavor: 'vllm',
    tokenizer,
    servedModelName: 'qwen-base',
    answerDelayMs,
    controlDelayMs,
  });
  servers.push(server);
  const weightSync = createWeightSync({
    kind: 'vllm-lora',
    baseURL: server.baseURL,
    localRoot: '/shared',
    maxRetries: 0,
    write: async () => {},
  });
  const policy = createOpenAICompletionsPolicy({
    baseURL: server.baseURL,
    model: 'qwen-base',
    maxRetries: 0,
    weightSync,
  });
  return { server, weightSync, policy };
}

describe('versioned rollouts', () => {
  it('a pinned rollout keeps one version across its turns; a sync started meanwhile waits for it', async () => {
    const { server, weightSync, policy } = await setup(20, 0);
    await weightSync.sync({ version: 1, localDirectory: '/shared/v1' });
    let sync: Promise<unknown> | undefined;
    const rollout = policy.withPinnedWeights(async (pinned, version) => {
      const first = await pinned.generate([request, request]);
      sync = weightSync.sync({ version: 2, localDirectory: '/shared/v2' }); // the trainer's step lands mid-rollout
      await new Promise((resolve) => setTimeout(resolve, 10)); // a search between the turns
      const second = await pinned.generate([request]);
      return { version, results: [...first, ...second] };
    });
    const { version, results } = await rollout;
    await sync;
    expect(version).toBe(1);
    expect(results.map((result) => result.weightVersion)).toEqual([1, 1, 1]);
    const completions = server.requests.filter((entry) => entry.path === '/v1/completions');
    expect(completions.map((entry) => entry.body.model)).toEqual([
      'research-ts-v1',
      'research-ts-v1',
      'research-ts-v1',
    ]);
    // v2 was loaded only after the rollout's last completion ended.
    const kinds = server.timeline.map((entry) => entry.kind);
    expect(kinds.lastIndexOf('completion-end')).toBeLessThan(
      server.timeline.findIndex((entry) => entry.kind === 'load' && entry.name === 'research-ts-v2'),
    );
    expect(weightSync.version).toBe(2);
    await expect(
      (async () => {
        let escaped: Parameters<Parameters<typeof policy.withPinnedWeights>[0]>[0] | undefined;
        await policy.withPinnedWeights(async (pinned) => {
          escaped = pinned;
        });
        return escaped!.generate([request]);
      })(),
    ).rejects.toThrow(/pinned policy of weight version 2 was used after its rollout ended/);
  });

  it('a generate call started while a sync runs waits for it and uses the new version', async () => {
    const { server, weightSync, policy } = await setup(2, 40);
    const sync = weightSync.sync({ version: 1, localDirectory: '/shared/v1' });
    const loadArrived = server.nextRequest();
    await loadArrived; // the sync holds the lock and the server is loading
    const results = await policy.generate([request, request]);
    await sync;
    expect(results.map((result) => result.weightVersion)).toEqual([1, 1]);
    expect(server.requests.map((entry) => [entry.path, entry.body.model ?? entry.body.lora_name])).toEqual([
      ['/v1/load_lora_adapter', 'research-ts-v1'],
      ['/v1/completions', 'research-ts-v1'],
      ['/v1/completions', 'research-ts-v1'],
    ]);
  });

  it('a sync waits for in-flight generate calls, which finish on the old version', async () => {
    const { server, weightSync, policy } = await setup(30, 0);
    const inFlight = policy.generate([request, request, request]);
    await server.nextRequest();
    const sync = weightSync.sync({ version: 1, localDirectory: '/shared/v1' });
    const results = await inFlight;
    await sync;
    expect(results.map((result) => result.weightVersion)).toEqual([0, 0, 0]);
    const loadAt = server.timeline.findIndex((entry) => entry.kind === 'load');
    expect(server.timeline.slice(0, loadAt).filter((entry) => entry.kind === 'completion-end')).toHaveLength(3);
    expect(policy.weightVersion).toBe(1);
  });
});
