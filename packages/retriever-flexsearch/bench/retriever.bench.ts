/**
 * Speed and memory on a generated 200 000-passage corpus: this package (streamed from a JSONL file, and
 * from memory), raw flexsearch (its defaults: AND of query words, position-based order, no scores) and
 * minisearch (BM25+, OR), all in this one process. Also known-item recall on that corpus.
 *
 *   npm run bench -w @research-ts/retriever-flexsearch      (BENCH_PASSAGES=50000 for a quick run)
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Index } from 'flexsearch';
import MiniSearch from 'minisearch';
import { createFlexsearchRetriever, indexCorpusFile, loadFlexsearchRetriever } from '../src/index';
import { deriveKnownItemQueries, recallAt } from '../test/known-item-queries';
import { generateCorpus } from './generate-corpus';
import { measureQueries, mebibytes, seconds, timed, usedBytes, type LatencySummary } from './measure';

const passageCount = Number(process.env.BENCH_PASSAGES ?? 200_000);
const queryCount = 1000;
const rawFlexsearchQueryCount = 200;
const minisearchQueryCount = 20;
const warmUpQueries = 50;
const k = 5;

interface Row {
  engine: string;
  indexWallMs: number;
  indexCpuMs: number;
  memoryBytes: number;
  latency: LatencySummary;
  recall1: number;
  recall5: number;
}

const rows: Row[] = [];
const log = (line: string): void => console.log(line);
const directory = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-bench-'));

try {
  log(
    `# retriever-flexsearch benchmark: ${passageCount} generated passages, Node ${process.version}, ${new Date().toISOString()}`,
  );
  const calibration = await timed(() => {
    let sum = 0;
    for (let index = 0; index < 100_000_000; index += 1) sum = (sum + index * 7) | 0;
    return sum;
  });
  log(
    `machine speed now: 1e8 integer adds take ${calibration.wallMs.toFixed(0)} ms wall, ${calibration.cpuMs.toFixed(0)} ms CPU (a shared machine: compare the ratios)`,
  );
  const generation = await timed(() => [...generateCorpus({ passages: passageCount, seed: 1 })]);
  const passages = generation.value;
  const corpusPath = join(directory, 'corpus.jsonl');
  const output = createWriteStream(corpusPath);
  for (const passage of passages) if (!output.write(`${JSON.stringify(passage)}\n`)) await once(output, 'drain');
  output.end();
  await once(output, 'finish');
  log(`generated in ${seconds(generation.wallMs)} s; corpus file ${mebibytes(statSync(corpusPath).size)} MiB`);

  const known = deriveKnownItemQueries(passages, { count: queryCount, seed: 3, dropRate: 0.5 });
  const queries = known.map(({ query }) => query);
  const warmUp = deriveKnownItemQueries(passages, { count: warmUpQueries, seed: 4, dropRate: 0.5 }).map(
    ({ query }) => query,
  );
  const words = queries.reduce((sum, query) => sum + query.split(' ').length, 0) / queries.length;
  log(`${queries.length} known-item queries, ${words.toFixed(1)} words on average, e.g. ${JSON.stringify(queries[0])}`);
  const recall = (results: ReadonlyArray<ReadonlyArray<{ id: string }>>, count: number) => ({
    recall1: recallAt(1, known.slice(0, count), results),
    recall5: recallAt(k, known.slice(0, count), results),
  });

  // This package, streamed from the JSONL file (the passage texts are part of its memory).
  {
    const before = usedBytes();
    const built = await timed(() => indexCorpusFile(corpusPath));
    const memoryBytes = usedBytes() - before;
    const retriever = built.value.retriever;
    for (const query of warmUp) await retriever.search([query], k);
    const { summary, results } = await measureQueries(
      queries,
      async (query) => (await retriever.search([query], k))[0]!,
    );
    rows.push({
      engine: 'this package, from the JSONL file (memory includes passage texts)',
      indexWallMs: built.wallMs,
      indexCpuMs: built.cpuMs,
      memoryBytes,
      latency: summary,
      ...recall(results, queries.length),
    });

    // Where a query's time goes: the flexsearch lookups alone (analysis + one lookup per term).
    const postings = (retriever as unknown as { data: { postings: { lookup(term: string): unknown } } }).data.postings;
    const lookups = await measureQueries(queries, (query) => {
      for (const term of new Set(retriever.analyze(query))) postings.lookup(term);
      return 0;
    });
    log(
      `lookups only (analyze + flexsearch lookup per term): p50 ${lookups.summary.p50Ms.toFixed(3)} ms, p99 ${lookups.summary.p99Ms.toFixed(3)} ms; full search p50 ${summary.p50Ms.toFixed(2)} ms`,
    );

    const saveDirectory = join(directory, 'index');
    const saved = await timed(() => retriever.save(saveDirectory));
    let bytes = 0;
    for (const name of await readdir(saveDirectory)) bytes += statSync(join(saveDirectory, name)).size;
    const loaded = await timed(() => loadFlexsearchRetriever(saveDirectory));
    const [first] = await loaded.value.search([queries[0]!], k);
    const [original] = await retriever.search([queries[0]!], k);
    log(
      `save ${seconds(saved.wallMs)} s (${mebibytes(bytes)} MiB on disk), load with checksums ${seconds(loaded.wallMs)} s; same results after load: ${JSON.stringify(first) === JSON.stringify(original)}`,
    );
  }

  // This package from the in-memory passages (texts shared with the caller, as for the engines below).
  {
    const before = usedBytes();
    const built = await timed(() => createFlexsearchRetriever(passages));
    const memoryBytes = usedBytes() - before;
    for (const query of warmUp) await built.value.search([query], k);
    const { summary, results } = await measureQueries(
      queries,
      async (query) => (await built.value.search([query], k))[0]!,
    );
    rows.push({
      engine: 'this package, from memory',
      indexWallMs: built.wallMs,
      indexCpuMs: built.cpuMs,
      memoryBytes,
      latency: summary,
      ...recall(results, queries.length),
    });
  }

  // Raw flexsearch with its defaults.
  {
    const before = usedBytes();
    const built = await timed(() => {
      const index = new Index();
      passages.forEach((passage, document) => index.add(document, passage.contents));
      return index;
    });
    const memoryBytes = usedBytes() - before;
    const subset = queries.slice(0, rawFlexsearchQueryCount);
    for (const query of warmUp) built.value.search(query, { limit: k });
    const toPassages = (documents: unknown[]) =>
      documents.map((document) => ({ id: passages[document as number]!.id }));
    const and = await measureQueries(subset, (query) => toPassages(built.value.search(query, { limit: k })));
    rows.push({
      engine: 'raw flexsearch, defaults (AND)',
      indexWallMs: built.wallMs,
      indexCpuMs: built.cpuMs,
      memoryBytes,
      latency: and.summary,
      ...recall(and.results, subset.length),
    });
    const suggest = await measureQueries(subset, (query) =>
      toPassages(built.value.search(query, { limit: k, suggest: true })),
    );
    rows.push({
      engine: 'raw flexsearch, suggest: true (partial matches)',
      indexWallMs: built.wallMs,
      indexCpuMs: built.cpuMs,
      memoryBytes,
      latency: suggest.summary,
      ...recall(suggest.results, subset.length),
    });
  }

  // minisearch (BM25+), OR of query terms by default.
  {
    const before = usedBytes();
    const built = await timed(() => {
      const index = new MiniSearch<{ id: string; contents: string }>({ fields: ['contents'] });
      index.addAll(passages);
      return index;
    });
    const memoryBytes = usedBytes() - before;
    const subset = queries.slice(0, minisearchQueryCount);
    const searched = await measureQueries(subset, (query) =>
      built.value
        .search(query)
        .slice(0, k)
        .map((hit) => ({ id: String(hit.id) })),
    );
    rows.push({
      engine: 'minisearch 7 (BM25+, OR)',
      indexWallMs: built.wallMs,
      indexCpuMs: built.cpuMs,
      memoryBytes,
      latency: searched.summary,
      ...recall(searched.results, subset.length),
    });
  }

  const baseline = rows.find((row) => row.engine.startsWith('raw flexsearch'))!;
  log('');
  log(
    `| engine | index s (CPU s) | × raw flexsearch | memory MiB | query p50 ms | p99 ms | queries/s | CPU ms/query | queries | recall@1 | recall@5 |`,
  );
  log(`|---|---|---|---|---|---|---|---|---|---|---|`);
  for (const row of rows) {
    log(
      `| ${row.engine} | ${seconds(row.indexWallMs)} (${seconds(row.indexCpuMs)}) | ${(row.indexCpuMs / baseline.indexCpuMs).toFixed(2)} | ${mebibytes(row.memoryBytes)} | ` +
        `${row.latency.p50Ms.toFixed(2)} | ${row.latency.p99Ms.toFixed(2)} | ${row.latency.queriesPerSecond.toFixed(0)} | ${row.latency.cpuMsPerQuery.toFixed(2)} | ` +
        `${row.latency.queries} | ${row.recall1.toFixed(3)} | ${row.recall5.toFixed(3)} |`,
    );
  }
  const ours = rows[1]!;
  log('');
  log(
    `ratios (this package from memory / raw flexsearch): index CPU ${(ours.indexCpuMs / baseline.indexCpuMs).toFixed(2)}, memory ${(ours.memoryBytes / baseline.memoryBytes).toFixed(2)}, p50 ${(ours.latency.p50Ms / baseline.latency.p50Ms).toFixed(2)}`,
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
}
