import { MockRetriever } from '@research-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLoadRequests, describeLoad, loadCorpus, runLoad } from '../bench/load-driver';
import { createRetrieverServer, type ListeningRetrieverServer } from './create-retriever-server';

// 2 000 mixed requests from 32 concurrent keep-alive clients (the 10 000-request run is `npm run bench`).
// Timings are printed, never asserted.
const requestCount = 2000;
const concurrency = 32;
const maxBodyBytes = 4096;

describe('load on loopback', () => {
  const retriever = new MockRetriever(loadCorpus(300));
  let server: ListeningRetrieverServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    server = await createRetrieverServer(retriever, {
      maxBodyBytes,
      maxConcurrency: 8,
      maxQueuedRequests: 64,
    }).listen();
  });
  afterAll(async () => {
    await server.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it(`answers ${requestCount} mixed requests from ${concurrency} clients: valid ones correctly, malformed ones with a 4xx`, async () => {
    const requests = buildLoadRequests(requestCount, { oversizedBytes: maxBodyBytes + 1000 });
    const report = await runLoad({ url: server.url, requests, concurrency, retriever });
    console.log(`[retriever-http load test] ${describeLoad(report)}`);
    expect(report.failures.slice(0, 10)).toEqual([]);
    expect(report.valid + report.malformed).toBe(requestCount);
    expect(report.malformed).toBeGreaterThan(requestCount * 0.2);
    // Every refusal kind was exercised.
    for (const status of [400, 404, 405, 413, 415, 422])
      expect(report.statuses[status], `HTTP ${status}`).toBeGreaterThan(0);
    expect(report.statuses[200]).toBe(report.valid);
    expect(unhandled).toEqual([]);
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toEqual({ status: 'healthy', retrievers: { total: 8, available: 8 } });
  }, 180_000); // a generous ceiling for a loaded machine; typically 10–20 s on 2 busy cores
});
