/**
 * The compact on-disk index beside today's in-memory layout (and Xapian), on the generated corpus at several
 * sizes, in one run: index time, peak RSS while indexing, size on disk, open time, RSS after open, query
 * p50/p99, known-item recall, and whether they give the same results. Each build and each open runs in a child
 * process of its own, so that its peak RSS (the kernel's high-water mark) and its RSS after open are its alone.
 * The compact index's open child then opens the same index a second time with `queryEvaluation:
 * 'term-at-a-time'` (the loop before block-max pruning) and runs the same queries: the speed ratio of the two
 * is measured in one process, back to back, on one index.
 *
 *   node --expose-gc --import tsx bench/compact-index.bench.ts
 *   BENCH_SIZES=200000,1000000 (default)   BENCH_LAYOUTS=memory,compact (default; the in-memory layout needs
 *   ~2.5 GB at 1M; add xapian for Xapian 1.4 through Debian's python3-xapian, bench/xapian-index.py)
 *   BENCH_MEMORY_BUDGET_MIB=256 (the compact build's segment budget)   BENCH_KEEP=dir (keep files)
 *   BENCH_REUSE=1 (with BENCH_KEEP: reuse a kept corpus, queries and index instead of building them again)
 *   BENCH_BASELINE=none (skip the term-at-a-time comparison)   BENCH_PYTHON=/usr/bin/python3
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Retriever } from '@research-ts/spec';
import { buildCompactIndex, indexCorpusFile, loadFlexsearchRetriever, openCompactIndex } from '../src/index';
import { deriveKnownItemQueries, recallAt, type KnownItemQuery } from '../test/known-item-queries';
import { generateCorpus } from './generate-corpus';
import { measureQueries, timed } from './measure';

const k = 5;
const queryCount = 1000;
const warmUpCount = 50;

interface BuildReport {
  indexSeconds: number;
  saveSeconds: number;
  peakRssMiB: number;
  diskMiB: number;
  segments?: number;
}
interface OpenReport {
  openSeconds: number;
  rssAfterOpenMiB: number;
  heapAfterOpenMiB: number;
  /** After the warm-up and the measured queries (the compact index's block and postings caches filled). */
  rssAfterQueriesMiB: number;
  p50Ms: number;
  p99Ms: number;
  recall1: number;
  recall5: number;
  /** SHA-256 of the results (ids and scores), to compare the layouts. */
  resultsDigest: string;
  /** The same queries on the same index with `queryEvaluation: 'term-at-a-time'`, in the same process. */
  baseline?: { p50Ms: number; p99Ms: number; resultsDigest: string };
}

const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const peakRssMiB = (): number => mib(process.resourceUsage().maxRSS * 1024);
function rssAfterGc(): { rss: number; heap: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const usage = process.memoryUsage();
  return { rss: mib(usage.rss), heap: mib(usage.heapUsed) };
}
function directoryBytes(directory: string): number {
  let bytes = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true }))
    bytes += entry.isDirectory()
      ? directoryBytes(join(directory, entry.name))
      : statSync(join(directory, entry.name)).size;
  return bytes;
}

const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const xapianScript = fileURLToPath(new URL('./xapian-index.py', import.meta.url));

/** Runs bench/xapian-index.py; returns its last line, parsed. */
function runXapian<T>(args: string[]): T {
  const child = spawnSync(python, [xapianScript, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`${python} ${xapianScript} ${args.join(' ')} exited with ${child.status}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

function digestOf(results: ReadonlyArray<ReadonlyArray<{ id: string; score?: number }>>): string {
  const digest = createHash('sha256');
  for (const result of results) digest.update(JSON.stringify(result.map(({ id, score }) => [id, score])));
  return digest.digest('hex');
}

/** Child: build one layout from the corpus file into `directory`; prints a BuildReport. */
async function build(layout: string, corpus: string, directory: string): Promise<BuildReport> {
  if (layout === 'xapian') {
    const report = runXapian<{ indexSeconds: number; peakRssMiB: number }>(['build', corpus, directory]);
    return { ...report, saveSeconds: 0, diskMiB: mib(directoryBytes(directory)) };
  }
  if (layout === 'memory') {
    const built = await timed(() => indexCorpusFile(corpus));
    const saved = await timed(() => built.value.retriever.save(directory));
    return {
      indexSeconds: built.wallMs / 1000,
      saveSeconds: saved.wallMs / 1000,
      peakRssMiB: peakRssMiB(),
      diskMiB: mib(directoryBytes(directory)),
    };
  }
  const memoryBudgetBytes = Number(process.env.BENCH_MEMORY_BUDGET_MIB ?? 256) * 2 ** 20;
  const built = await timed(() => buildCompactIndex(corpus, directory, { memoryBudgetBytes }));
  return {
    indexSeconds: built.wallMs / 1000,
    saveSeconds: 0,
    peakRssMiB: peakRssMiB(),
    diskMiB: mib(directoryBytes(directory)),
    segments: built.value.segments,
  };
}

/** Child: open one layout and run the queries; prints an OpenReport. */
async function openAndQuery(layout: string, directory: string, queriesPath: string): Promise<OpenReport> {
  const { known, warmUp } = JSON.parse(readFileSync(queriesPath, 'utf8')) as {
    known: KnownItemQuery[];
    warmUp: string[];
  };
  const opened = await timed<Retriever>(() =>
    layout === 'memory' ? loadFlexsearchRetriever(directory) : openCompactIndex(directory),
  );
  const retriever = opened.value;
  const after = rssAfterGc();
  for (const query of warmUp) await retriever.search([query], k);
  const { summary, results } = await measureQueries(
    known.map(({ query }) => query),
    async (query) => (await retriever.search([query], k))[0]!,
  );
  const afterQueries = rssAfterGc();
  let baseline: OpenReport['baseline'];
  if (layout === 'compact' && process.env.BENCH_BASELINE !== 'none') {
    const termAtATime = await openCompactIndex(directory, { queryEvaluation: 'term-at-a-time' });
    for (const query of warmUp) await termAtATime.search([query], k);
    const measured = await measureQueries(
      known.map(({ query }) => query),
      async (query) => (await termAtATime.search([query], k))[0]!,
    );
    baseline = { ...measured.summary, resultsDigest: digestOf(measured.results) };
    await termAtATime.close();
  }
  return {
    openSeconds: opened.wallMs / 1000,
    rssAfterOpenMiB: after.rss,
    heapAfterOpenMiB: after.heap,
    rssAfterQueriesMiB: afterQueries.rss,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    recall1: recallAt(1, known, results),
    recall5: recallAt(k, known, results),
    resultsDigest: digestOf(results),
    baseline,
  };
}

/** Child: Xapian's open and queries, through bench/xapian-index.py; recall from the ids it returns. */
function xapianOpenAndQuery(directory: string, queriesPath: string): OpenReport {
  const { known } = JSON.parse(readFileSync(queriesPath, 'utf8')) as { known: KnownItemQuery[] };
  const report = runXapian<{ openSeconds: number; p50Ms: number; p99Ms: number; ids: string[][] }>([
    'query',
    directory,
    queriesPath,
    String(k),
  ]);
  const results = report.ids.map((ids) => ids.map((id) => ({ id })));
  return {
    openSeconds: report.openSeconds,
    rssAfterOpenMiB: Number.NaN,
    heapAfterOpenMiB: Number.NaN,
    rssAfterQueriesMiB: Number.NaN,
    p50Ms: report.p50Ms,
    p99Ms: report.p99Ms,
    recall1: recallAt(1, known, results),
    recall5: recallAt(k, known, results),
    resultsDigest: 'xapian',
  };
}

function runChild<T>(args: string[]): T {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`child ${args.join(' ')} exited with ${child.status}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Writes the generated corpus of `passages` to `path`; returns a sample of 2000 passages for queries. */
async function writeCorpus(path: string, passages: number): Promise<Array<{ id: string; contents: string }>> {
  const every = Math.max(1, Math.floor(passages / 2000));
  const sample: Array<{ id: string; contents: string }> = [];
  const output = createWriteStream(path);
  let index = 0;
  for (const passage of generateCorpus({ passages, seed: 1 })) {
    if (index % every === 0) sample.push(passage);
    index += 1;
    if (!output.write(`${JSON.stringify(passage)}\n`)) await once(output, 'drain');
  }
  output.end();
  await once(output, 'finish');
  return sample;
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '200000,1000000').split(',').map(Number);
  const layouts = (process.env.BENCH_LAYOUTS ?? 'memory,compact').split(',');
  const root = process.env.BENCH_KEEP ?? mkdtempSync(join(tmpdir(), 'retriever-flexsearch-compact-bench-'));
  mkdirSync(root, { recursive: true });
  const log = (line: string): void => console.log(line);
  log(
    `# compact index benchmark, Node ${process.version}, ${new Date().toISOString()}, load ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  );
  const calibration = await timed(() => {
    let sum = 0;
    for (let index = 0; index < 100_000_000; index += 1) sum = (sum + index * 7) | 0;
    return sum;
  });
  log(`machine speed now: 1e8 integer adds take ${calibration.wallMs.toFixed(0)} ms wall`);
  const rows: string[] = [];
  try {
    for (const size of sizes) {
      const corpus = join(root, `corpus-${size}.jsonl`);
      const queriesPath = join(root, `queries-${size}.json`);
      const reuse = process.env.BENCH_REUSE === '1' && existsSync(corpus) && existsSync(queriesPath);
      if (!reuse) {
        const generated = await timed(() => writeCorpus(corpus, size));
        const known = deriveKnownItemQueries(generated.value, { count: queryCount, seed: 3, dropRate: 0.5 });
        const warmUp = deriveKnownItemQueries(generated.value, { count: warmUpCount, seed: 4, dropRate: 0.5 }).map(
          ({ query }) => query,
        );
        writeFileSync(queriesPath, JSON.stringify({ known, warmUp }));
        log(`${size} passages: generated in ${(generated.wallMs / 1000).toFixed(1)} s`);
      }
      log(`${size} passages: corpus ${mib(statSync(corpus).size)} MiB${reuse ? ' (kept from an earlier run)' : ''}`);
      const digests: string[] = [];
      for (const layout of layouts) {
        const directory = join(root, `${layout}-${size}`);
        const reused = reuse && existsSync(join(directory, layout === 'xapian' ? 'iamglass' : 'manifest.json'));
        if (!reused && existsSync(directory)) rmSync(directory, { recursive: true });
        const built: BuildReport | undefined = reused
          ? undefined
          : runChild<BuildReport>(['build', layout, corpus, directory]);
        const opened = runChild<OpenReport>(['open', layout, directory, queriesPath]);
        if (layout !== 'xapian') digests.push(opened.resultsDigest);
        const name =
          { memory: 'today (in memory)', compact: 'compact (on disk), block-max', xapian: 'Xapian 1.4 (BM25 0.9/0.4)' }[
            layout
          ] ?? layout;
        const buildCells =
          built === undefined
            ? '(kept) | | '
            : `${built.indexSeconds.toFixed(1)}${built.saveSeconds > 0 ? ` + save ${built.saveSeconds.toFixed(1)}` : ''} | ${built.peakRssMiB.toFixed(0)} | `;
        const memory = (value: number | null): string =>
          value === null || Number.isNaN(value) ? '' : value.toFixed(0);
        const row =
          `| ${size.toLocaleString('en-US')} | ${name} | ${buildCells}${mib(directoryBytes(directory)).toFixed(0)} | ` +
          `${opened.openSeconds.toFixed(2)} | ${memory(opened.rssAfterOpenMiB)} (${memory(opened.rssAfterQueriesMiB)}) | ${opened.p50Ms.toFixed(2)} | ${opened.p99Ms.toFixed(2)} | ` +
          `${opened.recall1.toFixed(3)} / ${opened.recall5.toFixed(3)} | ${built?.segments ?? ''} |`;
        rows.push(row);
        log(row);
        if (opened.baseline !== undefined) {
          const { baseline } = opened;
          digests.push(baseline.resultsDigest);
          const baselineRow =
            `| ${size.toLocaleString('en-US')} | compact, term-at-a-time (same process, after the row above) | | | | | | ` +
            `${baseline.p50Ms.toFixed(2)} | ${baseline.p99Ms.toFixed(2)} | (same results) | |`;
          rows.push(baselineRow);
          log(baselineRow);
          log(
            `block-max / term-at-a-time, same process: p50 ${(opened.p50Ms / baseline.p50Ms).toFixed(3)}, p99 ${(opened.p99Ms / baseline.p99Ms).toFixed(3)}`,
          );
        }
        if (process.env.BENCH_KEEP === undefined) rmSync(directory, { recursive: true, force: true });
      }
      log(
        `same results (ids and scores) in every layout and evaluation: ${digests.every((digest) => digest === digests[0])}`,
      );
      if (process.env.BENCH_KEEP === undefined) rmSync(corpus, { force: true });
    }
    log(
      `done ${new Date().toISOString()}, load ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
    );
    log('');
    log(
      '| passages | layout | index s | peak RSS MiB (indexing) | disk MiB | open s | RSS after open (after queries) MiB | p50 ms | p99 ms | R@1 / R@5 | segments |',
    );
    log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) log(row);
  } finally {
    if (process.env.BENCH_KEEP === undefined) rmSync(root, { recursive: true, force: true });
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'build') console.log(JSON.stringify(await build(args[0]!, args[1]!, args[2]!)));
else if (mode === 'open' && args[0] === 'xapian') console.log(JSON.stringify(xapianOpenAndQuery(args[1]!, args[2]!)));
else if (mode === 'open') console.log(JSON.stringify(await openAndQuery(args[0]!, args[1]!, args[2]!)));
else await main();
