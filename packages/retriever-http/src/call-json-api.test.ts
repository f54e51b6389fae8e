import { ApiCallError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { callJsonApi, type JsonApiSettings } from './call-json-api';

describe('callJsonApi', () => {
  const settings = (fetch: typeof globalThis.fetch, overrides: Partial<JsonApiSettings> = {}): JsonApiSettings => ({
    timeoutMs: 1000,
    maxRetries: 3,
    retryDelayMs: 0,
    backoffFactor: 2,
    maxRetryDelayMs: 0,
    fetch,
    headers: {},
    ...overrides,
  });

  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ECONNRESET', 'connection reset by the server'],
    ['ENOTFOUND', 'host not found'],
    ['UND_ERR_SOCKET', 'the server closed the connection'],
    ['EWHATEVER', 'EWHATEVER'],
  ])('names the network failure %s and retries it', async (code, words) => {
    let calls = 0;
    const fetch = (async () => {
      calls += 1;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) });
    }) as typeof globalThis.fetch;
    const error = await callJsonApi({ method: 'GET', url: 'http://h/health' }, settings(fetch)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApiCallError);
    expect((error as Error).message).toBe(`could not reach http://h/health: ${words} (attempt 4 of 4)`);
    expect(calls).toBe(4);
  });

  it('retries 408, 429 and 5xx, not other 4xx', async () => {
    for (const [status, attempts] of [
      [408, 2],
      [429, 2],
      [500, 2],
      [503, 2],
      [400, 1],
      [404, 1],
      [422, 1],
    ] as const) {
      let calls = 0;
      const fetch = (async () => {
        calls += 1;
        return new Response('{"detail":"no"}', { status });
      }) as typeof globalThis.fetch;
      const error = await callJsonApi(
        { method: 'POST', url: 'http://h/x', body: {} },
        settings(fetch, { maxRetries: 1 }),
      ).catch((caught: unknown) => caught);
      expect((error as ApiCallError).statusCode).toBe(status);
      expect((error as Error).message).toBe(
        `POST http://h/x failed with HTTP ${status}: no (attempt ${attempts} of 2)`,
      );
      expect(calls).toBe(attempts);
    }
  });

  it('omits the attempt count when there are no retries, and shows a non-JSON error body', async () => {
    const fetch = (async () => new Response('Bad Gateway', { status: 502 })) as typeof globalThis.fetch;
    const error = await callJsonApi({ method: 'GET', url: 'http://h/x' }, settings(fetch, { maxRetries: 0 })).catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).message).toBe('GET http://h/x failed with HTTP 502: Bad Gateway');
  });
});
