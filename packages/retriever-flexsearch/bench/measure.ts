/** Small measuring helpers shared by the benchmarks. */

export function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Heap plus off-heap (typed arrays, buffers) bytes in use after a full garbage collection. */
export function usedBytes(): number {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc to measure memory');
  collect();
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpuStart = cpuMilliseconds();
  const start = performance.now();
  const value = await work();
  return { value, wallMs: performance.now() - start, cpuMs: cpuMilliseconds() - cpuStart };
}

export interface LatencySummary {
  queries: number;
  p50Ms: number;
  p99Ms: number;
  queriesPerSecond: number;
  cpuMsPerQuery: number;
}

/** Runs `search` once per query, in order, and summarizes the latencies. */
export async function measureQueries<T>(
  queries: readonly string[],
  search: (query: string) => T | Promise<T>,
): Promise<{ summary: LatencySummary; results: T[] }> {
  const latencies: number[] = [];
  const results: T[] = [];
  const cpuStart = cpuMilliseconds();
  const start = performance.now();
  for (const query of queries) {
    const queryStart = performance.now();
    results.push(await search(query));
    latencies.push(performance.now() - queryStart);
  }
  const wall = performance.now() - start;
  const cpu = cpuMilliseconds() - cpuStart;
  latencies.sort((a, b) => a - b);
  const at = (fraction: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))]!;
  return {
    summary: {
      queries: queries.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      queriesPerSecond: (queries.length / wall) * 1000,
      cpuMsPerQuery: cpu / queries.length,
    },
    results,
  };
}

export const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
export const seconds = (milliseconds: number): string => (milliseconds / 1000).toFixed(1);
