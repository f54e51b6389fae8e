import { ApiCallError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { serveFakeServers } from './__fixtures__/serve-fake-servers';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { createVllmLoraClient } from './vllm-lora-client';

const tokenizer = createTestTokenizer();
const serve = serveFakeServers({ flavor: 'vllm', tokenizer, controlDelayMs: 0 });

const fast = { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 5 };

describe('createVllmLoraClient', () => {
  it('posts {lora_name, lora_path} to /v1/load_lora_adapter and {lora_name} to /v1/unload_lora_adapter', async () => {
    const server = await serve({ apiKey: 'secret' });
    const client = createVllmLoraClient({ baseURL: server.baseURL, apiKey: 'secret', ...fast });
    await expect(client.loadLoraAdapter({ name: 'research-ts-v1', path: '/data/v1' })).resolves.toBe(
      "Success: LoRA adapter 'research-ts-v1' added successfully.",
    );
    expect(server.loraAdapters.get('research-ts-v1')).toBe('/data/v1');
    await client.unloadLoraAdapter('research-ts-v1');
    expect(server.loraAdapters.size).toBe(0);
    expect(server.requests.map(({ path, body, headers }) => ({ path, body, auth: headers.authorization }))).toEqual([
      {
        path: '/v1/load_lora_adapter',
        body: { lora_name: 'research-ts-v1', lora_path: '/data/v1' },
        auth: 'Bearer secret',
      },
      { path: '/v1/unload_lora_adapter', body: { lora_name: 'research-ts-v1' }, auth: 'Bearer secret' },
    ]);
  });

  it("surfaces vLLM's 400 and 404 answers with the server's message, naming the call", async () => {
    const server = await serve({ adapterExists: (path) => path !== '/data/missing' });
    const client = createVllmLoraClient({ baseURL: server.baseURL, ...fast });
    await client.loadLoraAdapter({ name: 'a', path: '/data/a' });
    const again = await client.loadLoraAdapter({ name: 'a', path: '/data/a' }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ApiCallError);
    expect((again as ApiCallError).statusCode).toBe(400);
    expect((again as ApiCallError).message).toMatch(
      /^vLLM load_lora_adapter\("a", "\/data\/a"\) at http:\/\/127\.0\.0\.1:\d+\/v1\/load_lora_adapter failed: HTTP 400: The lora adapter 'a' has already been loaded/,
    );
    await expect(client.loadLoraAdapter({ name: 'b', path: '/data/missing' })).rejects.toThrow(
      /HTTP 404: Loading lora b failed: No adapter found for \/data\/missing/,
    );
    await expect(client.unloadLoraAdapter('nope')).rejects.toThrow(
      /vLLM unload_lora_adapter\("nope"\) .* HTTP 404: The lora adapter 'nope' cannot be found\./,
    );
    expect(server.requests).toHaveLength(4); // 4xx answers are not retried
  });

  it('says how to enable the endpoints when runtime LoRA updating is off (404 Not Found)', async () => {
    const server = await serve({ allowRuntimeLoraUpdating: false });
    const client = createVllmLoraClient({ baseURL: server.baseURL, ...fast });
    await expect(client.loadLoraAdapter({ name: 'a', path: '/data/a' })).rejects.toThrow(
      /HTTP 404: the server has no runtime LoRA endpoints: start vLLM with --enable-lora and .*VLLM_ALLOW_RUNTIME_LORA_UPDATING=True/,
    );
    await expect(client.unloadLoraAdapter('a')).rejects.toThrow(/VLLM_ALLOW_RUNTIME_LORA_UPDATING/);
  });

  it('retries a 503, and counts a retried load that finds its adapter loaded as done', async () => {
    const server = await serve();
    server.faults.push({ kind: 'status', status: 503 });
    const client = createVllmLoraClient({ baseURL: server.baseURL, ...fast });
    await client.loadLoraAdapter({ name: 'a', path: '/data/a' });
    expect(server.requests).toHaveLength(2);
    // The first try takes effect but its answer is lost on the way back.
    let calls = 0;
    const losing: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      calls += 1;
      if (calls === 1) throw new TypeError('fetch failed');
      return response;
    };
    const lossy = createVllmLoraClient({ baseURL: server.baseURL, ...fast, fetch: losing });
    await expect(lossy.loadLoraAdapter({ name: 'b', path: '/data/b' })).resolves.toMatch(/already been loaded/);
    calls = 0;
    await expect(lossy.unloadLoraAdapter('b')).resolves.toMatch(/cannot be found/);
    expect([...server.loraAdapters.keys()]).toEqual(['a']);
  });
});
