import { ApiCallError, InvalidConfigError, InvalidInputError, type GenerateRequest } from '@research-ts/spec';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startFakeCompletionsServer,
  type FakeCompletionsServer,
  type FakeServerOptions,
} from './__fixtures__/fake-completions-server';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { createOpenAICompletionsPolicy } from './create-openai-completions-policy';
import { createWeightSync, type WeightSyncOptions } from './weight-sync';

const tokenizer = createTestTokenizer();
const servers: FakeCompletionsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: Partial<FakeServerOptions> = {}): Promise<FakeCompletionsServer> {
  const server = await startFakeCompletionsServer({
    flavor: 'vllm',
    tokenizer,
    servedModelName: 'qwen-base',
    answerDelayMs: 2,
    controlDelayMs: 0,
    ...options,
  });
  servers.push(server);
  return server;
}

const request: GenerateRequest = {
  inputIds: tokenizer.encode('Question: ?\n'),
  maxNewTokens: 40,
  stopStrings: ['</search>'],
};

function setup(server: FakeCompletionsServer, options: Partial<WeightSyncOptions> = {}) {
  const written: string[] = [];
  const weightSync = createWeightSync({
    kind: 'vllm-lora',
    baseURL: server.baseURL,
    localRoot: '/mnt/shared/run',
    serverRoot: '/data/run',
    maxRetries: 0,
    write: async (directory, { version }) => {
      written.push(`${version}:${directory}`);
    },
    ...options,
  });
  const policy = createOpenAICompletionsPolicy({
    baseURL: server.baseURL,
    model: 'qwen-base',
    maxRetries: 0,
    weightSync,
  });
  return { weightSync, policy, written };
}

describe('createWeightSync (vllm-lora)', () => {
  it('loads a new adapter per version, unloads the previous one, and points the policy at it', async () => {
    const server = await serve();
    const { weightSync, policy, written } = setup(server);
    expect([weightSync.version, weightSync.adapterName, policy.weightVersion]).toEqual([0, undefined, 0]);
    const models: string[] = [];
    const versions: Array<number | undefined> = [];
    const generateOnce = async () => {
      const [result] = await policy.generate([request]);
      models.push(String(server.requests.at(-1)!.body.model));
      versions.push(result!.weightVersion);
    };
    await generateOnce();
    const results = [];
    for (const version of [1, 2, 3]) {
      results.push(await weightSync.sync({ version, localDirectory: `/mnt/shared/run/v${version}` }));
      await generateOnce();
    }
    expect(written).toEqual(['1:/mnt/shared/run/v1', '2:/mnt/shared/run/v2', '3:/mnt/shared/run/v3']);
    expect(models).toEqual(['qwen-base', 'research-ts-v1', 'research-ts-v2', 'research-ts-v3']);
    expect(versions).toEqual([0, 1, 2, 3]);
    expect(server.timeline.filter((entry) => entry.kind === 'load' || entry.kind === 'unload')).toEqual([
      { kind: 'load', name: 'research-ts-v1' },
      { kind: 'load', name: 'research-ts-v2' },
      { kind: 'unload', name: 'research-ts-v1' },
      { kind: 'load', name: 'research-ts-v3' },
      { kind: 'unload', name: 'research-ts-v2' },
    ]);
    expect(
      server.requests.filter((entry) => entry.path === '/v1/load_lora_adapter').map((entry) => entry.body),
    ).toEqual([
      { lora_name: 'research-ts-v1', lora_path: '/data/run/v1' },
      { lora_name: 'research-ts-v2', lora_path: '/data/run/v2' },
      { lora_name: 'research-ts-v3', lora_path: '/data/run/v3' },
    ]);
    expect([...server.loraAdapters]).toEqual([['research-ts-v3', '/data/run/v3']]);
    expect(
      results.map(({ version, previousVersion, serverPath, adapterName, unloadedAdapter, unloadError }) => ({
        version,
        previousVersion,
        serverPath,
        adapterName,
        unloadedAdapter,
        unloadError,
      })),
    ).toEqual([
      {
        version: 1,
        previousVersion: 0,
        serverPath: '/data/run/v1',
        adapterName: 'research-ts-v1',
        unloadedAdapter: undefined,
        unloadError: undefined,
      },
      {
        version: 2,
        previousVersion: 1,
        serverPath: '/data/run/v2',
        adapterName: 'research-ts-v2',
        unloadedAdapter: 'research-ts-v1',
        unloadError: undefined,
      },
      {
        version: 3,
        previousVersion: 2,
        serverPath: '/data/run/v3',
        adapterName: 'research-ts-v3',
        unloadedAdapter: 'research-ts-v2',
        unloadError: undefined,
      },
    ]);
    expect(results.every((result) => result.writeMs >= 0 && result.waitMs >= 0 && result.serverMs >= 0)).toBe(true);
  });

  it('refuses a directory outside localRoot and a version that does not grow, before writing or calling', async () => {
    const server = await serve();
    const { weightSync, written } = setup(server);
    await expect(weightSync.sync({ version: 1, localDirectory: '/home/me/v1' })).rejects.toThrow(
      /not a directory inside localRoot "\/mnt\/shared\/run"/,
    );
    await weightSync.sync({ version: 2, localDirectory: '/mnt/shared/run/v2' });
    await expect(weightSync.sync({ version: 2, localDirectory: '/mnt/shared/run/v2b' })).rejects.toThrow(
      InvalidInputError,
    );
    await expect(weightSync.sync({ version: 1.5, localDirectory: '/mnt/shared/run/v1' })).rejects.toThrow(
      /greater than the served version 2/,
    );
    expect(written).toEqual(['2:/mnt/shared/run/v2']);
    expect(server.requests.filter((entry) => entry.path !== '/v1/completions')).toHaveLength(1);
  });

  it('keeps the previous version when the load fails, and reports a failed unload without failing', async () => {
    const server = await serve({ adapterExists: (path) => !path.endsWith('/broken') });
    const { weightSync, policy } = setup(server);
    await weightSync.sync({ version: 1, localDirectory: '/mnt/shared/run/v1' });
    const failed = await weightSync
      .sync({ version: 2, localDirectory: '/mnt/shared/run/broken' })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ApiCallError);
    expect((failed as Error).message).toMatch(
      /vLLM load_lora_adapter\("research-ts-v2", "\/data\/run\/broken"\).*HTTP 404: Loading lora research-ts-v2 failed/,
    );
    expect([weightSync.version, weightSync.adapterName]).toEqual([1, 'research-ts-v1']);
    const [result] = await policy.generate([request]);
    expect(result!.weightVersion).toBe(1);
    // Someone else unloads v1 behind our back: the unload of v1 fails, v2 is served all the same.
    await fetch(`${server.baseURL}/unload_lora_adapter`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ lora_name: 'research-ts-v1' }),
    });
    const synced = await weightSync.sync({ version: 2, localDirectory: '/mnt/shared/run/v2' });
    expect(synced.unloadError?.message).toMatch(/HTTP 404: The lora adapter 'research-ts-v1' cannot be found/);
    expect(synced.unloadedAdapter).toBeUndefined();
    expect([weightSync.version, weightSync.adapterName]).toEqual([2, 'research-ts-v2']);
  });

  it('checks its options when created', async () => {
    const server = await serve();
    expect(() => setup(server, { kind: 'vllm-full' as never })).toThrow(InvalidConfigError);
    expect(() => setup(server, { localRoot: 'relative' })).toThrow(/localRoot/);
    expect(() => setup(server, { loadFormat: 'safetensors' })).toThrow(/sglang-full only/);
    expect(() => setup(server, { initialVersion: -1 })).toThrow(/initialVersion/);
  });
});

describe('createWeightSync (sglang-full)', () => {
  it('updates the weights from the mapped directory, with the version, and keeps the model name', async () => {
    const server = await serve({ flavor: 'sglang', servedModelName: undefined });
    const { weightSync, policy } = setup(server, { kind: 'sglang-full', loadFormat: 'safetensors', initialVersion: 4 });
    const synced = await weightSync.sync({ version: 5, localDirectory: '/mnt/shared/run/hf-5' });
    expect(synced).toMatchObject({
      version: 5,
      previousVersion: 4,
      serverPath: '/data/run/hf-5',
      adapterName: undefined,
    });
    expect(synced.serverMessage).toBe('Succeeded to update model weights.');
    expect(server.requests.at(-1)!.body).toEqual({
      model_path: '/data/run/hf-5',
      weight_version: '5',
      load_format: 'safetensors',
    });
    const [result] = await policy.generate([request]);
    expect(result!.weightVersion).toBe(5);
    expect(server.requests.at(-1)!.body.model).toBe('qwen-base');
  });

  it("fails with SGLang's message and keeps the version when the update is refused", async () => {
    const server = await serve({ flavor: 'sglang', servedModelName: undefined, weightsExist: () => false });
    const { weightSync } = setup(server, { kind: 'sglang-full' });
    await expect(weightSync.sync({ version: 1, localDirectory: '/mnt/shared/run/hf-1' })).rejects.toThrow(
      /SGLang update_weights_from_disk\("\/data\/run\/hf-1"\).*the server refused: Failed to get weights iterator/,
    );
    expect(weightSync.version).toBe(0);
  });
});
