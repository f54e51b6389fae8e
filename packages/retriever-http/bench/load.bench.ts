/**
 * Load benchmark of the retriever server on loopback: 10 000 mixed requests (about 70% valid FlashRAG
 * and Search-R1 searches, 30% malformed) from 32 concurrent keep-alive fetch clients, every answer
 * checked. Baseline, measured in the same process on the same requests: a bare node:http server that
 * reads each body and answers a constant `[]` (the cost of HTTP and fetch alone).
 *
 *   npm run bench -w @research-ts/retriever-http            (REQUESTS=… CONCURRENCY=… to change)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { MockRetriever } from '@research-ts/testing';
import { createRetrieverServer } from '../src/index';
import { buildLoadRequests, describeLoad, loadCorpus, quantile, runLoad, type LoadReport } from './load-driver';

const requestCount = Number(process.env.REQUESTS ?? 10_000);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const maxBodyBytes = 4096;

const retriever = new MockRetriever(loadCorpus(300));
const requests = buildLoadRequests(requestCount, { oversizedBytes: maxBodyBytes + 1000 });

async function bareServerRun(): Promise<LoadReport> {
  const bare = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      response.end('[]');
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  // Answers are not checked here: the bare server answers [] to everything.
  const unchecked = requests.map((request) => ({ ...request, kind: 'valid' as const, query: undefined }));
  const report = await runLoad({ url, requests: unchecked, concurrency, retriever });
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  return report;
}

async function retrieverServerRun(): Promise<LoadReport> {
  const server = await createRetrieverServer(retriever, {
    maxBodyBytes,
    maxConcurrency: 8,
    maxQueuedRequests: 64,
  }).listen();
  const report = await runLoad({ url: server.url, requests, concurrency, retriever });
  await server.close();
  return report;
}

// Warm up both paths (JIT, sockets) on a slice, then measure.
const warmRequests = requests.slice(0, 500);
{
  const server = await createRetrieverServer(retriever, { maxBodyBytes }).listen();
  await runLoad({ url: server.url, requests: warmRequests, concurrency, retriever });
  await server.close();
}

const baseline = await bareServerRun();
const measured = await retrieverServerRun();

// The retriever alone, called in process for the same valid requests: the part of the CPU time that
// is retrieval rather than HTTP, validation and serialization.
const retrieverCpuBefore = process.cpuUsage();
for (const request of requests)
  if (request.query !== undefined) await retriever.search(request.query.queries, request.query.k);
const retrieverCpu = process.cpuUsage(retrieverCpuBefore);
const retrieverCpuMs = (retrieverCpu.user + retrieverCpu.system) / 1000;

const rate = (report: LoadReport) => (report.requests / report.wallMs) * 1000;
console.log(
  `machine: ${process.platform} ${process.arch}, Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}`,
);
console.log(`requests ${requestCount}, concurrency ${concurrency}`);
console.log(`baseline (bare node:http, constant answer): ${describeLoad(baseline)}`);
console.log(`retriever server (zod + MockRetriever over 300 passages): ${describeLoad(measured)}`);
console.log(
  `ratio retriever server / baseline: req/s ${(rate(measured) / rate(baseline)).toFixed(2)}x, ` +
    `p50 ${(quantile(measured.latenciesMs, 0.5) / quantile(baseline.latenciesMs, 0.5)).toFixed(2)}x, ` +
    `p99 ${(quantile(measured.latenciesMs, 0.99) / quantile(baseline.latenciesMs, 0.99)).toFixed(2)}x, ` +
    `CPU per request ${(measured.cpuMs / measured.requests / (baseline.cpuMs / baseline.requests)).toFixed(2)}x`,
);
const perRequestUs = (milliseconds: number) => ((milliseconds / requestCount) * 1000).toFixed(0);
console.log(
  `CPU per request, averaged over all ${requestCount}: retriever server ${perRequestUs(measured.cpuMs)} µs = ` +
    `HTTP + fetch clients (baseline) ${perRequestUs(baseline.cpuMs)} µs + MockRetriever in process ${perRequestUs(retrieverCpuMs)} µs + ` +
    `the rest (routing, body limits, zod, serialization, queueing) ${perRequestUs(measured.cpuMs - baseline.cpuMs - retrieverCpuMs)} µs`,
);
if (measured.failures.length > 0) {
  console.error(`FAILURES (${measured.failures.length}):\n${measured.failures.slice(0, 20).join('\n')}`);
  process.exitCode = 1;
}
