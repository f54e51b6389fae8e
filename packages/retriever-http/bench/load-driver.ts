import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import type { Passage, Retriever } from '@research-ts/spec';

/**
 * A mixed load on a retriever server: valid FlashRAG and Search-R1 requests whose answers are
 * checked against the retriever called directly, and malformed ones that must get a 4xx.
 * Used by the load test (src/load.test.ts) and the benchmark (bench/load.bench.ts).
 */

/** A small deterministic PRNG (mulberry32), so every run sends the same requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const vocabulary = (
  'aurora volcano glacier river lighthouse island desert forest canyon harbor bridge castle museum ' +
  'library market temple garden tower valley meadow comet planet orbit crater summit delta lagoon ' +
  'reef tundra prairie plateau geyser fjord marsh bay cliff dune oasis ridge spring grove'
).split(' ');

/** `count` passages in the FlashRAG layout, each with 6 words drawn from a fixed vocabulary. */
export function loadCorpus(count: number, seed = 1): Passage[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const words = Array.from({ length: 6 }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
    return { id: `doc-${String(index).padStart(4, '0')}`, contents: `"${words[0]} ${index}"\n${words.join(' ')}.` };
  });
}

export interface LoadRequest {
  kind: 'valid' | 'malformed';
  /** What the request exercises (`/search`, `bad-json`, …). */
  label: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** For valid requests: how to build the expected JSON from the retriever's direct answer. */
  query?: { queries: string[]; k: number; shape: (results: Passage[][]) => unknown };
}

const json = { 'content-type': 'application/json' };
const documentOf = (passage: Passage) => ({ id: passage.id, contents: passage.contents });
const scoreOf = (passage: Passage) => passage.score ?? null;

function randomQuery(random: () => number): string {
  const length = 1 + Math.floor(random() * 3);
  return Array.from({ length }, () => vocabulary[Math.floor(random() * vocabulary.length)]!).join(' ');
}

/**
 * The malformed requests, one of each kind of refusal. `oversizedBytes` must exceed the server's
 * `maxBodyBytes` (and stay under 4 times it, so the body is drained and the connection kept).
 */
function malformedRequests(random: () => number, oversizedBytes: number): LoadRequest[] {
  const query = randomQuery(random);
  const make = (
    label: string,
    method: LoadRequest['method'],
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): LoadRequest => ({
    kind: 'malformed',
    label,
    method,
    path,
    headers,
    body,
  });
  return [
    make('bad-json', 'POST', '/batch_search', json, `{"query": ["${query}"`),
    make('missing-field', 'POST', '/retrieve', json, '{"topk": 3}'),
    make('wrong-type', 'POST', '/batch_search', json, JSON.stringify({ query: query })),
    make('empty-query', 'POST', '/search', json, '{"query": "  "}'),
    make('negative-top-n', 'POST', '/search', json, JSON.stringify({ query, top_n: -3 })),
    make('huge-top-n', 'POST', '/batch_search', json, JSON.stringify({ query: [query], top_n: 1e12 })),
    make(
      'wrong-content-type',
      'POST',
      '/retrieve',
      { 'content-type': 'text/plain' },
      JSON.stringify({ queries: [query] }),
    ),
    make('unknown-route', 'POST', '/v1/search', json, JSON.stringify({ query })),
    make('wrong-method', 'GET', '/retrieve', {}),
    make('body-too-large', 'POST', '/batch_search', json, JSON.stringify({ query: ['x'.repeat(oversizedBytes)] })),
  ];
}

function validRequest(random: () => number, choice: number): LoadRequest {
  const withScores = random() < 0.5;
  if (choice === 0) {
    const query = randomQuery(random);
    const topN = random() < 0.3 ? undefined : 1 + Math.floor(random() * 10);
    return {
      kind: 'valid',
      label: '/search',
      method: 'POST',
      path: '/search',
      headers: json,
      body: JSON.stringify({ query, ...(topN === undefined ? {} : { top_n: topN }), return_score: withScores }),
      query: {
        queries: [query],
        k: topN ?? 10,
        shape: ([passages]) =>
          withScores ? [passages!.map(documentOf), passages!.map(scoreOf)] : passages!.map(documentOf),
      },
    };
  }
  const queries = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomQuery(random));
  if (choice === 1) {
    const topN = 1 + Math.floor(random() * 8);
    return {
      kind: 'valid',
      label: '/batch_search',
      method: 'POST',
      path: '/batch_search',
      headers: json,
      body: JSON.stringify({ query: queries, top_n: topN, return_score: withScores }),
      query: {
        queries,
        k: topN,
        shape: (results) => {
          const documents = results.map((passages) => passages.map(documentOf));
          return withScores ? [documents, results.map((passages) => passages.map(scoreOf))] : documents;
        },
      },
    };
  }
  const topK = random() < 0.3 ? null : 1 + Math.floor(random() * 6);
  return {
    kind: 'valid',
    label: '/retrieve',
    method: 'POST',
    path: '/retrieve',
    headers: json,
    body: JSON.stringify({ queries, topk: topK, return_scores: withScores }),
    query: {
      queries,
      k: topK ?? 3,
      shape: (results) => ({
        result: results.map((passages) =>
          passages.map((passage) =>
            withScores ? { document: documentOf(passage), score: scoreOf(passage) } : documentOf(passage),
          ),
        ),
      }),
    },
  };
}

/** `count` requests, about 70% valid (spread over the three search routes) and 30% malformed. */
export function buildLoadRequests(count: number, options: { seed?: number; oversizedBytes: number }): LoadRequest[] {
  const random = seededRandom(options.seed ?? 7);
  return Array.from({ length: count }, (_, index) => {
    if (random() < 0.3) {
      const kinds = malformedRequests(random, options.oversizedBytes);
      return kinds[index % kinds.length]!;
    }
    return validRequest(random, Math.floor(random() * 3));
  });
}

export interface LoadReport {
  requests: number;
  valid: number;
  malformed: number;
  /** Requests whose answer was wrong: status, body or a thrown fetch. Empty when all is well. */
  failures: string[];
  /** Status counts, e.g. `{ 200: 7000, 422: 1200, … }`. */
  statuses: Record<number, number>;
  latenciesMs: Float64Array;
  wallMs: number;
  /** CPU time of this process (server and clients together, user + system) during the run. */
  cpuMs: number;
}

/** The `fraction` quantile of sorted latencies (nearest rank). */
export function quantile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/**
 * Sends `requests` to `url` from `concurrency` workers over Node's fetch (undici, keep-alive),
 * checks every answer, and measures each request's latency.
 */
export async function runLoad(options: {
  url: string;
  requests: readonly LoadRequest[];
  concurrency: number;
  retriever: Retriever;
}): Promise<LoadReport> {
  const { url, requests, concurrency, retriever } = options;
  const expected = await Promise.all(
    requests.map(async (request) =>
      request.query === undefined
        ? undefined
        : request.query.shape(await retriever.search(request.query.queries, request.query.k)),
    ),
  );
  const latencies = new Float64Array(requests.length);
  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index]!;
      const before = performance.now();
      try {
        const response = await fetch(url + request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
        const text = await response.text();
        latencies[index] = performance.now() - before;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (request.kind === 'valid') {
          if (response.status !== 200)
            failures.push(`#${index} ${request.label}: HTTP ${response.status} ${text.slice(0, 200)}`);
          else if (!isDeepStrictEqual(JSON.parse(text), expected[index]))
            failures.push(`#${index} ${request.label}: wrong answer ${text.slice(0, 200)}`);
        } else {
          const detail =
            response.headers.get('content-type') === 'application/json'
              ? (JSON.parse(text) as { detail?: unknown }).detail
              : undefined;
          if (response.status < 400 || response.status >= 500 || typeof detail !== 'string') {
            failures.push(`#${index} ${request.label}: HTTP ${response.status} ${text.slice(0, 200)}`);
          }
        }
      } catch (error) {
        latencies[index] = performance.now() - before;
        failures.push(
          `#${index} ${request.label}: ${(error as Error).message} ${String((error as Error).cause ?? '')}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requests: requests.length,
    valid: requests.filter((request) => request.kind === 'valid').length,
    malformed: requests.filter((request) => request.kind === 'malformed').length,
    failures,
    statuses,
    latenciesMs: latencies.sort(),
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** One line: counts, wall time, requests per second, CPU per request, p50 and p99. */
export function describeLoad(report: LoadReport): string {
  const perSecond = (report.requests / report.wallMs) * 1000;
  return (
    `${report.requests} requests (${report.valid} valid, ${report.malformed} malformed): ` +
    `${report.wallMs.toFixed(0)} ms, ${perSecond.toFixed(0)} req/s, ` +
    `CPU ${((report.cpuMs / report.requests) * 1000).toFixed(0)} µs/request (server and clients), ` +
    `p50 ${quantile(report.latenciesMs, 0.5).toFixed(2)} ms, p99 ${quantile(report.latenciesMs, 0.99).toFixed(2)} ms; ` +
    `statuses ${JSON.stringify(report.statuses)}`
  );
}
