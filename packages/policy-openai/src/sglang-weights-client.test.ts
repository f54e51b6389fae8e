import { ApiCallError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { serveFakeServers } from './__fixtures__/serve-fake-servers';
import { createTestTokenizer } from './__fixtures__/test-tokenizer';
import { createSglangWeightsClient } from './sglang-weights-client';

const tokenizer = createTestTokenizer();
const serve = serveFakeServers({ flavor: 'sglang', tokenizer, controlDelayMs: 0 });

describe('createSglangWeightsClient', () => {
  it('posts {model_path, load_format, weight_version} to /update_weights_from_disk at the server root', async () => {
    const server = await serve();
    const client = createSglangWeightsClient({ baseURL: server.baseURL, maxRetries: 0 });
    await expect(
      client.updateWeightsFromDisk({ modelPath: '/data/v2', loadFormat: 'safetensors', weightVersion: '2' }),
    ).resolves.toEqual({ message: 'Succeeded to update model weights.', numPausedRequests: 0 });
    await client.updateWeightsFromDisk({ modelPath: '/data/v3' });
    expect(server.requests.map(({ path, body }) => ({ path, body }))).toEqual([
      {
        path: '/update_weights_from_disk',
        body: { model_path: '/data/v2', load_format: 'safetensors', weight_version: '2' },
      },
      { path: '/update_weights_from_disk', body: { model_path: '/data/v3' } },
    ]);
    expect(server.weights).toEqual({ path: '/data/v3', version: '2' });
  });

  it("turns {success: false} into an ApiCallError with the server's message", async () => {
    const server = await serve({ weightsExist: () => false });
    const client = createSglangWeightsClient({ baseURL: server.baseURL, maxRetries: 2, initialBackoffMs: 1 });
    const error = await client.updateWeightsFromDisk({ modelPath: '/data/none' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as ApiCallError).statusCode).toBe(400);
    expect((error as ApiCallError).message).toMatch(
      /^SGLang update_weights_from_disk\("\/data\/none"\) at http:\/\/127\.0\.0\.1:\d+\/update_weights_from_disk failed: HTTP 400: the server refused: Failed to get weights iterator: no model files under \/data\/none\./,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('says when the route does not exist (not an SGLang server)', async () => {
    const server = await serve({ flavor: 'vllm' });
    const client = createSglangWeightsClient({ baseURL: server.baseURL, maxRetries: 0 });
    await expect(client.updateWeightsFromDisk({ modelPath: '/data/v1' })).rejects.toThrow(
      /HTTP 404: http:\/\/127\.0\.0\.1:\d+\/update_weights_from_disk does not exist: is this an SGLang server\?/,
    );
  });
});
