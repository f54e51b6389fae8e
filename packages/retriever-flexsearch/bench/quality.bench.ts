/**
 * Ranking quality on FlashRAG's 1000-passage sample corpus (../shared/research-data beside the
 * repository): known-item queries derived from the passages (a sentence window with words dropped,
 * seeded), recall@1 and recall@5 of this package beside a plain BM25 (k1 0.9, b 0.4) computed here,
 * raw flexsearch and minisearch.
 */
import { Index } from 'flexsearch';
import MiniSearch from 'minisearch';
import { createFlexsearchRetriever, type AnalyzerOptions } from '../src/index';
import { deriveKnownItemQueries, recallAt } from '../test/known-item-queries';
import { ReferenceBm25 } from '../test/reference-bm25';
import { readCorpus, sharedSampleCorpusPath } from '../test/shared-corpus';

// throws, naming the expected path, when the shared sample corpus is missing
const passages = readCorpus(sharedSampleCorpusPath(import.meta.dirname));
const k = 5;
const dropRates = [0.3, 0.5, 0.7, 0.85];
const queriesPerRate = 1000;

type SearchAll = (queries: readonly string[]) => Promise<Array<Array<{ id: string }>>> | Array<Array<{ id: string }>>;
const engines: Array<{ name: string; searchAll: SearchAll }> = [];

const reference = new ReferenceBm25(passages);
engines.push({
  name: 'plain BM25 (reference, k1 0.9, b 0.4)',
  searchAll: (queries) => queries.map((query) => reference.search(query, k)),
});
const analyzers: Array<[string, AnalyzerOptions]> = [
  ['this package (defaults)', {}],
  ['this package, English stopwords', { stopwords: 'english' }],
  ['this package, light stemmer', { stemmer: 'light' }],
];
for (const [name, analyzer] of analyzers) {
  const retriever = createFlexsearchRetriever(passages, { analyzer });
  engines.push({ name, searchAll: (queries) => retriever.search(queries, k) });
}
const raw = new Index();
passages.forEach((passage, document) => raw.add(document, passage.contents));
const rawSearch = (query: string, suggest: boolean) =>
  raw.search(query, { limit: k, suggest }).map((document) => passages[document as number]!);
engines.push({
  name: 'raw flexsearch (defaults, AND)',
  searchAll: (queries) => queries.map((query) => rawSearch(query, false)),
});
engines.push({
  name: 'raw flexsearch (suggest: true)',
  searchAll: (queries) => queries.map((query) => rawSearch(query, true)),
});
const mini = new MiniSearch<{ id: string; contents: string }>({ fields: ['contents'] });
mini.addAll(passages);
engines.push({
  name: 'minisearch 7 (BM25+, OR)',
  searchAll: (queries) =>
    queries.map((query) =>
      mini
        .search(query)
        .slice(0, k)
        .map((hit) => ({ id: String(hit.id) })),
    ),
});

const querySets = dropRates.map((rate) =>
  deriveKnownItemQueries(passages, { count: queriesPerRate, seed: 2025, dropRate: rate }),
);

console.log(
  `# known-item recall on the FlashRAG sample corpus (${passages.length} passages), ${queriesPerRate} queries per drop rate, seed 2025`,
);
console.log('');
console.log(`| engine | ${dropRates.map((rate) => `drop ${rate}: R@1 / R@5`).join(' | ')} |`);
console.log(`|---|${dropRates.map(() => '---').join('|')}|`);
for (const engine of engines) {
  const cells: string[] = [];
  for (const queries of querySets) {
    const results = await engine.searchAll(queries.map(({ query }) => query));
    cells.push(`${recallAt(1, queries, results).toFixed(3)} / ${recallAt(k, queries, results).toFixed(3)}`);
  }
  console.log(`| ${engine.name} | ${cells.join(' | ')} |`);
}
