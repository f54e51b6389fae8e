// Quantized HNSW benchmark: f32, f16, i8 and b1 graphs (b1 with and without rescoring) over a clustered
// synthetic set of unit vectors (1 000 Gaussian centres in 768 dimensions, each cluster varying along 16
// directions, plus isotropic noise; seeded), with 1 000 queries drawn near cluster members. For each setting:
// build time, graph size on disk, RSS after a memory-mapped open, query p50/p99 (one query per search) and
// recall@10 against exact search (brute force, computed once in this process with the exact index, chunked).
// Each saved index is opened and queried in a fresh child process, so that its RSS is its own.
//
// Run: npm run bench:quantization -w @research-ts/retriever-dense
// Environment: BENCH_QUANT_VECTORS (default 1000000), BENCH_QUANT_QUERIES (1000), BENCH_QUANT_DIMENSION (768),
// BENCH_QUANT_CLUSTERS (1000), BENCH_QUANT_PASSAGE_CHARS (0: empty passage texts; ~600 is a Wikipedia passage,
// read from passages.jsonl by offset, so RSS after open should not grow with it), BENCH_QUANT_DIR (a temporary
// folder, removed afterwards unless given), BENCH_QUANT_SETTINGS (a subset of f32,f16,i8,b1,b1r; b1r = b1 with
// rescoring), BENCH_QUANT_EXPANSIONS (search-time expansion values to sweep, e.g. 64,128,256; default: the saved
// one), BENCH_QUANT_CONNECTIVITY / BENCH_QUANT_EXPANSION_ADD (build parameters; default: the package's).
// Ratios are against the first row.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clusteredVectors, queriesNearMembers } from '../test/clustered-vectors';
import { matrixEmbedder } from '../test/matrix-embedder';
import { ExactIndex } from '../src/exact-index';
import {
  createDenseRetriever,
  defaultHnswParameters,
  loadDenseRetriever,
  type LoadDenseRetrieverOptions,
} from '../src/index';
import type { HnswQuantization } from '../src/hnsw-quantization';

const k = 10;
const mebibyte = 1024 * 1024;

interface Setting {
  key: string;
  label: string;
  quantization: HnswQuantization;
  rescore?: LoadDenseRetrieverOptions['rescore'];
}

const allSettings: Setting[] = [
  { key: 'f32', label: 'f32', quantization: 'f32' },
  { key: 'f16', label: 'f16', quantization: 'f16' },
  { key: 'i8', label: 'i8', quantization: 'i8' },
  { key: 'b1', label: 'b1 (no rescore)', quantization: 'b1', rescore: false },
  { key: 'b1r', label: 'b1 + rescore', quantization: 'b1' },
];

/** A comma-separated list of positive integers from the environment, or undefined. */
function integerList(name: string): number[] | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const numbers = value.split(',').map(Number);
  if (!numbers.every((number) => Number.isInteger(number) && number > 0))
    throw new Error(`${name} must be positive integers separated by commas, got ${JSON.stringify(value)}`);
  return numbers;
}

/** What the child process reports for one opened index. */
interface OpenReport {
  bareRssMiB: number;
  rssAfterOpenMiB: number;
  rssAfterQueriesMiB: number;
  openMs: number;
  p50Ms: number;
  p99Ms: number;
  ids: string[][];
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function passageId(row: number): string {
  return `p${String(row).padStart(8, '0')}`;
}

/** Child: open one saved index memory-mapped, report RSS, then time the queries one by one. */
async function openAndQuery(
  directory: string,
  queriesPath: string,
  rescoreArgument: string,
  expansionArgument: string,
): Promise<void> {
  const manifest = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as { dimension: number };
  const bytes = await readFile(queriesPath);
  const queries = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const count = queries.length / manifest.dimension;
  const model = matrixEmbedder(queries, manifest.dimension, 'bench-queries');
  const bareRssMiB = process.memoryUsage().rss / mebibyte;
  const options: LoadDenseRetrieverOptions = {
    ...(rescoreArgument === 'default' ? {} : { rescore: false }),
    ...(expansionArgument === 'saved' ? {} : { hnsw: { expansionSearch: Number(expansionArgument) } }),
  };
  const opened = performance.now();
  const retriever = await loadDenseRetriever(directory, model, options);
  const openMs = performance.now() - opened;
  const rssAfterOpenMiB = process.memoryUsage().rss / mebibyte;
  const times: number[] = [];
  const ids: string[][] = [];
  for (let query = 0; query < count; query += 1) {
    const started = performance.now();
    const [results] = await retriever.search([`q${query}`], k);
    times.push(performance.now() - started);
    ids.push(results!.map((passage) => passage.id));
  }
  times.sort((left, right) => left - right);
  const report: OpenReport = {
    bareRssMiB,
    rssAfterOpenMiB,
    rssAfterQueriesMiB: process.memoryUsage().rss / mebibyte,
    openMs,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    ids,
  };
  await retriever.dispose();
  process.stdout.write(JSON.stringify(report));
}

/** Exact top-k ids of every query, over the corpus in chunks of rows (one exact index per chunk). */
async function exactTopK(corpus: Float32Array, queries: Float32Array, dimension: number): Promise<number[][]> {
  const queryCount = queries.length / dimension;
  const rowCount = corpus.length / dimension;
  const best: Array<Array<{ row: number; score: number }>> = Array.from({ length: queryCount }, () => []);
  const rowsPerChunk = 65_536;
  for (let start = 0; start < rowCount; start += rowsPerChunk) {
    const end = Math.min(rowCount, start + rowsPerChunk);
    const index = await ExactIndex.create(corpus.subarray(start * dimension, end * dimension), dimension);
    const top = await index.search(queries, k);
    await index.dispose();
    for (let query = 0; query < queryCount; query += 1) {
      const list = best[query]!;
      for (let rank = 0; rank < top.count; rank += 1)
        list.push({
          row: start + top.indices[query * top.count + rank]!,
          score: top.scores[query * top.count + rank]!,
        });
      list.sort((left, right) => right.score - left.score || left.row - right.row);
      list.length = Math.min(list.length, k);
    }
  }
  return best.map((list) => list.map((entry) => entry.row));
}

function recallAt(ids: string[][], truth: number[][]): number {
  let found = 0;
  ids.forEach((list, query) => {
    const expected = new Set(truth[query]!.map(passageId));
    found += list.filter((id) => expected.has(id)).length;
  });
  return found / (truth.length * k);
}

async function main(): Promise<void> {
  const vectors = Number(process.env.BENCH_QUANT_VECTORS ?? 1_000_000);
  const queryCount = Number(process.env.BENCH_QUANT_QUERIES ?? 1000);
  const dimension = Number(process.env.BENCH_QUANT_DIMENSION ?? 768);
  const clusters = Number(process.env.BENCH_QUANT_CLUSTERS ?? 1000);
  const passageChars = Number(process.env.BENCH_QUANT_PASSAGE_CHARS ?? 0);
  const chosen = process.env.BENCH_QUANT_SETTINGS?.split(',');
  const settings = chosen === undefined ? allSettings : allSettings.filter((setting) => chosen.includes(setting.key));
  if (settings.length === 0) throw new Error(`BENCH_QUANT_SETTINGS names none of ${allSettings.map((s) => s.key)}`);
  const expansions: Array<number | undefined> = integerList('BENCH_QUANT_EXPANSIONS') ?? [undefined];
  const [connectivity] = integerList('BENCH_QUANT_CONNECTIVITY') ?? [];
  const [expansionAdd] = integerList('BENCH_QUANT_EXPANSION_ADD') ?? [];
  const hnsw = {
    ...(connectivity === undefined ? {} : { connectivity }),
    ...(expansionAdd === undefined ? {} : { expansionAdd }),
  };
  const root = process.env.BENCH_QUANT_DIR ?? (await mkdtemp(join(tmpdir(), 'retriever-dense-quantization-')));
  await mkdir(root, { recursive: true });
  console.log(
    `quantization bench: ${vectors} vectors × ${dimension}, ${clusters} clusters, ${queryCount} queries, k = ${k}, passage texts of ${passageChars} characters, build ${JSON.stringify({ ...defaultHnswParameters, ...hnsw })}; data in ${root}`,
  );

  let started = performance.now();
  const corpus = clusteredVectors({ seed: 2026, count: vectors, dimension, clusters });
  const queries = queriesNearMembers(corpus, dimension, queryCount, 2027);
  const queriesPath = join(root, 'queries.f32');
  await writeFile(queriesPath, new Uint8Array(queries.buffer, queries.byteOffset, queries.byteLength));
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  const truth = await exactTopK(corpus, queries, dimension);
  console.log(`exact top-${k} of ${queryCount} queries in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const filler = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(passageChars / 27));
  const passages = Array.from({ length: vectors }, (_, row) => ({
    id: passageId(row),
    contents: passageChars === 0 ? '' : `${row} ${filler}`.slice(0, passageChars),
  }));
  const model = matrixEmbedder(queries, dimension, 'bench-queries');
  const builds = new Map<
    HnswQuantization,
    { buildSeconds: number; buildCpuSeconds: number; graphBytes: number; vectorBytes: number; passageBytes: number }
  >();
  const rows: Array<{ setting: Setting; label: string; report: OpenReport; recall: number }> = [];
  const childScript = fileURLToPath(import.meta.url);
  for (const [setting, expansion] of settings.flatMap((setting) =>
    expansions.map((expansion) => [setting, expansion] as const),
  )) {
    const label = expansion === undefined ? setting.label : `${setting.label}, expansion ${expansion}`;
    const directory = join(root, setting.quantization);
    if (!builds.has(setting.quantization)) {
      started = performance.now();
      const cpuBefore = process.cpuUsage();
      const retriever = await createDenseRetriever({
        model,
        passages,
        embeddings: corpus,
        index: 'hnsw',
        quantization: setting.quantization,
        hnsw,
      });
      const buildSeconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const buildCpuSeconds = (cpu.user + cpu.system) / 1e6;
      await retriever.save(directory);
      await retriever.dispose();
      builds.set(setting.quantization, {
        buildSeconds,
        buildCpuSeconds,
        graphBytes: (await stat(join(directory, 'index.usearch'))).size,
        vectorBytes: (await stat(join(directory, 'embeddings.f32'))).size,
        passageBytes: (await stat(join(directory, 'passages.jsonl'))).size,
      });
      console.log(
        `built ${setting.quantization} in ${buildSeconds.toFixed(1)} s (${buildCpuSeconds.toFixed(1)} CPU s)`,
      );
    }
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=@research-ts/source',
        '--import',
        'tsx',
        childScript,
        '--open',
        directory,
        queriesPath,
        setting.rescore === false ? 'none' : 'default',
        expansion === undefined ? 'saved' : String(expansion),
      ],
      { maxBuffer: 256 * mebibyte },
    );
    const report = JSON.parse(stdout) as OpenReport;
    const recall = recallAt(report.ids, truth);
    rows.push({ setting, label, report, recall });
    console.log(
      `${label}: open ${report.openMs.toFixed(0)} ms, RSS ${report.rssAfterOpenMiB.toFixed(0)} MiB, p50 ${report.p50Ms.toFixed(2)} ms, recall@10 ${recall.toFixed(3)}`,
    );
  }

  const baseRow = rows[0]!;
  const baseBuild = builds.get(baseRow.setting.quantization)!;
  console.log(`\nratios against ${baseRow.label}`);
  const ratio = (value: number, base: number): string => `${(value / base).toFixed(2)}×`;
  console.log(
    `\n| setting | build: wall (CPU) | graph on disk | RSS after open (bare process) | open | p50 | p99 | recall@10 |`,
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const { setting, label, report, recall } of rows) {
    const build = builds.get(setting.quantization)!;
    console.log(
      `| ${label} | ${build.buildSeconds.toFixed(0)} s (${build.buildCpuSeconds.toFixed(0)} CPU s, ${ratio(build.buildCpuSeconds, baseBuild.buildCpuSeconds)}) | ${(build.graphBytes / mebibyte).toFixed(0)} MiB (${ratio(build.graphBytes, baseBuild.graphBytes)}) | ${report.rssAfterOpenMiB.toFixed(0)} MiB (${report.bareRssMiB.toFixed(0)}) (${ratio(report.rssAfterOpenMiB - report.bareRssMiB, baseRow.report.rssAfterOpenMiB - baseRow.report.bareRssMiB)} above bare) | ${(report.openMs / 1000).toFixed(1)} s | ${report.p50Ms.toFixed(2)} ms (${ratio(report.p50Ms, baseRow.report.p50Ms)}) | ${report.p99Ms.toFixed(2)} ms | ${recall.toFixed(3)} |`,
    );
  }
  console.log(
    `\nrescoring vectors (embeddings.f32, read by offset, the same for every setting): ${(baseBuild.vectorBytes / mebibyte).toFixed(0)} MiB; passages.jsonl (read by offset): ${(baseBuild.passageBytes / mebibyte).toFixed(0)} MiB; RSS after ${queryCount} queries: ${rows.map(({ label, report }) => `${label} ${report.rssAfterQueriesMiB.toFixed(0)} MiB`).join(', ')}`,
  );
  if (process.env.BENCH_QUANT_DIR === undefined) await rm(root, { recursive: true, force: true });
}

if (process.argv[2] === '--open')
  await openAndQuery(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]!);
else await main();
