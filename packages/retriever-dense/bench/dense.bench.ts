// Dense search benchmark: exact search (one onnxruntime MatMul + TopK per query batch) and usearch HNSW
// over 100 000 × 384 random unit vectors, against a plain JS dot-product loop measured in the same
// process. Run: npm run bench -w @research-ts/retriever-dense
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDenseRetriever, loadDenseRetriever, type TextEmbedder } from '../src/index';

const passages = Number(process.env.BENCH_PASSAGES ?? 100_000);
/** HNSW graphs are built over this many vectors (the build is the slow part on 2 cores). */
const hnswPassages = Number(process.env.BENCH_HNSW_PASSAGES ?? 10_000);
const expansionSearchValues = [64, 256, 1024];
const dimension = 384;
const batchQueries = 256;
const singleQueries = 40;
const baselineBatchQueries = 8;
const baselineSingleQueries = 5;
const recallQueries = 200;
const k = 10;

/** Seeded uniform (mulberry32) and normal (Box–Muller) draws. */
function randomSource(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function normalizeInPlace(vectors: Float32Array): Float32Array {
  for (let start = 0; start < vectors.length; start += dimension) {
    let squares = 0;
    for (let unit = 0; unit < dimension; unit += 1) squares += vectors[start + unit]! * vectors[start + unit]!;
    const scale = 1 / Math.sqrt(squares);
    for (let unit = 0; unit < dimension; unit += 1) vectors[start + unit] = vectors[start + unit]! * scale;
  }
  return vectors;
}

/** Unit vectors in uniformly random directions: the hardest case for a graph index. */
function unitVectors(seed: number, count: number): Float32Array {
  const { normal } = randomSource(seed);
  return normalizeInPlace(Float32Array.from({ length: count * dimension }, normal));
}

/**
 * Unit vectors around 200 random centres (centre + unit-variance noise), closer to how text embeddings
 * cluster by topic. Rows `0..count-1`; the same centres serve for the queries drawn after them.
 */
function clusteredVectors(seed: number, count: number): Float32Array {
  const { uniform, normal } = randomSource(seed);
  const centres = Float32Array.from({ length: 200 * dimension }, normal);
  const vectors = new Float32Array(count * dimension);
  for (let row = 0; row < count; row += 1) {
    const centre = Math.floor(uniform() * 200);
    for (let unit = 0; unit < dimension; unit += 1)
      vectors[row * dimension + unit] = centres[centre * dimension + unit]! + normal();
  }
  return normalizeInPlace(vectors);
}

/** The query `"q<i>"` embeds to row i of `table`. */
function tableEmbedder(table: Float32Array): TextEmbedder {
  return {
    dimension,
    fingerprint: 'bench-table',
    async embedQueries(texts) {
      const vectors = new Float32Array(texts.length * dimension);
      texts.forEach((text, index) => {
        const row = Number(text.slice(1));
        vectors.set(table.subarray(row * dimension, (row + 1) * dimension), index * dimension);
      });
      return vectors;
    },
  };
}

/** Baseline: a plain JS loop over every passage (dot product), then a JS top-k by insertion. */
function javascriptSearch(corpus: Float32Array, query: Float32Array, count: number): Int32Array {
  const bestScores = new Float64Array(count).fill(-Infinity);
  const bestIndices = new Int32Array(count).fill(-1);
  const rows = corpus.length / dimension;
  for (let row = 0; row < rows; row += 1) {
    let score = 0;
    const start = row * dimension;
    for (let unit = 0; unit < dimension; unit += 1) score += corpus[start + unit]! * query[unit]!;
    if (score <= bestScores[count - 1]!) continue;
    let position = count - 1;
    while (position > 0 && bestScores[position - 1]! < score) {
      bestScores[position] = bestScores[position - 1]!;
      bestIndices[position] = bestIndices[position - 1]!;
      position -= 1;
    }
    bestScores[position] = score;
    bestIndices[position] = row;
  }
  return bestIndices;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const format = (value: number, digits = 2) => value.toFixed(digits);

console.log(`dense retrieval benchmark: ${passages} passages × ${dimension} dims, k = ${k}`);
console.log(`machine: ${availableParallelism()} cores, Node ${process.version}, ${process.platform}-${process.arch}`);

let started = performance.now();
const corpus = unitVectors(1, passages);
const queryCount = Math.max(batchQueries, singleQueries);
const queries = unitVectors(2, queryCount);
console.log(`generated vectors in ${format((performance.now() - started) / 1000, 1)} s`);
const passageList = Array.from({ length: passages }, (_, index) => ({
  id: `p${String(index).padStart(6, '0')}`,
  contents: '',
}));
const model = tableEmbedder(queries);
const texts = Array.from({ length: queryCount }, (_, index) => `q${index}`);

// ---- exact search through the retriever API
started = performance.now();
const exact = await createDenseRetriever({ model, passages: passageList, embeddings: corpus, index: 'exact' });
console.log(`exact index built (sort by id, transpose) in ${format(performance.now() - started, 0)} ms`);
await exact.search(texts.slice(0, 8), k); // warm-up
started = performance.now();
const exactBatch = await exact.search(texts.slice(0, batchQueries), k);
const exactBatchMs = performance.now() - started;
const exactSingle: number[] = [];
for (let query = 0; query < singleQueries; query += 1) {
  const begin = performance.now();
  await exact.search([texts[query]!], k);
  exactSingle.push(performance.now() - begin);
}

// ---- JS baseline, same process
const baselineStart = performance.now();
for (let query = 0; query < baselineBatchQueries; query += 1)
  javascriptSearch(corpus, queries.subarray(query * dimension, (query + 1) * dimension), k);
const baselinePerQuery = (performance.now() - baselineStart) / baselineBatchQueries;
const baselineSingle: number[] = [];
for (let query = 0; query < baselineSingleQueries; query += 1) {
  const begin = performance.now();
  const top = javascriptSearch(corpus, queries.subarray(query * dimension, (query + 1) * dimension), k);
  baselineSingle.push(performance.now() - begin);
  // the baseline must find what the retriever finds (ids are p + row number here)
  const fromRetriever = exactBatch[query]!.map((passage) => Number(passage.id.slice(1)));
  if (fromRetriever.join() !== Array.from(top).join())
    throw new Error(`baseline and exact search disagree on query ${query}`);
}

const exactQps = batchQueries / (exactBatchMs / 1000);
const baselineQps = 1000 / baselinePerQuery;
console.log(
  '\nexact search (queries × corpusᵀ as one onnxruntime MatMul + TopK, then exact rescoring of 2k candidates)',
);
console.log(
  `  batched ${batchQueries} queries: ${format(exactBatchMs, 0)} ms → ${format(exactQps, 0)} queries/s (${format(exactBatchMs / batchQueries)} ms/query)`,
);
console.log(`  single query p50: ${format(median(exactSingle))} ms`);
console.log('plain JS dot-product loop + top-k (baseline)');
console.log(
  `  ${format(baselineQps, 1)} queries/s (${format(baselinePerQuery)} ms/query), single query p50 ${format(median(baselineSingle))} ms`,
);
console.log(
  `  ratio: batched exact ${format(exactQps / baselineQps, 1)}× the baseline's queries/s; single-query p50 ${format(median(baselineSingle) / median(exactSingle), 1)}× faster`,
);

// ---- HNSW: per data set, one graph (default build parameters), searched at several expansionSearch
// values (a saved graph loads with another expansionSearch without a rebuild), against exact search.
const workDirectory = await mkdtemp(join(tmpdir(), 'retriever-dense-bench-'));
const hnswSets: Array<{ name: string; vectors: Float32Array }> = [
  { name: 'random unit vectors', vectors: unitVectors(3, hnswPassages + recallQueries) },
  { name: 'clustered unit vectors (200 centres)', vectors: clusteredVectors(4, hnswPassages + recallQueries) },
];
console.log(
  `\nHNSW (usearch 2.25, inner product, connectivity 16, expansion_add 128) over ${hnswPassages} vectors, ${recallQueries} queries`,
);
for (const { name, vectors } of hnswSets) {
  const setPassages = passageList.slice(0, hnswPassages);
  const setCorpus = vectors.subarray(0, hnswPassages * dimension);
  const setModel = tableEmbedder(vectors.subarray(hnswPassages * dimension));
  const setTexts = Array.from({ length: recallQueries }, (_, index) => `q${index}`);
  started = performance.now();
  const built = await createDenseRetriever({
    model: setModel,
    passages: setPassages,
    embeddings: setCorpus,
    index: 'hnsw',
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const directory = join(workDirectory, name.split(' ')[0]!);
  await built.save(directory);
  const exactSet = await createDenseRetriever({
    model: setModel,
    passages: setPassages,
    embeddings: setCorpus,
    index: 'exact',
  });
  const exactSetSingle: number[] = [];
  for (let query = 0; query < singleQueries; query += 1) {
    const begin = performance.now();
    await exactSet.search([setTexts[query]!], k);
    exactSetSingle.push(performance.now() - begin);
  }
  const reference = await exactSet.search(setTexts, k);
  console.log(
    `  ${name}: build ${format(buildSeconds, 1)} s (${format(hnswPassages / buildSeconds, 0)} vectors/s); exact single query p50 ${format(median(exactSetSingle))} ms`,
  );
  for (const expansionSearch of expansionSearchValues) {
    const hnsw = await loadDenseRetriever(directory, setModel, { hnsw: { expansionSearch } });
    await hnsw.search(setTexts.slice(0, 8), k);
    const single: number[] = [];
    for (let query = 0; query < recallQueries; query += 1) {
      const begin = performance.now();
      await hnsw.search([setTexts[query]!], k);
      single.push(performance.now() - begin);
    }
    const results = await hnsw.search(setTexts, k);
    let hits = 0;
    reference.forEach((list, query) => {
      const found = new Set(results[query]!.map((passage) => passage.id));
      for (const passage of list) if (found.has(passage.id)) hits += 1;
    });
    console.log(
      `    expansion_search ${String(expansionSearch).padStart(4)}: single query p50 ${format(median(single), 3)} ms (${format(median(exactSetSingle) / median(single), 1)}× exact), recall@${k} vs exact ${format(hits / (recallQueries * k), 3)}`,
    );
  }
  await exactSet.dispose();
}
await rm(workDirectory, { recursive: true, force: true });
await exact.dispose();
