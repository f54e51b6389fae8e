/**
 * Index time alone: builds this package's index (from memory) and raw flexsearch's over the same
 * generated corpus, in one process, and prints wall and CPU seconds and their ratio.
 *
 *   node --expose-gc --import tsx bench/index-time.ts      (BENCH_PASSAGES, default 50 000; BENCH_ENGINES=ours to skip raw)
 */
import { Index } from 'flexsearch';
import { createFlexsearchRetriever } from '../src/index';
import { generateCorpus } from './generate-corpus';
import { seconds, timed } from './measure';

const passageCount = Number(process.env.BENCH_PASSAGES ?? 50_000);
const engines = process.env.BENCH_ENGINES ?? 'ours,raw';
const passages = [...generateCorpus({ passages: passageCount, seed: 1 })];
(globalThis as { gc?: () => void }).gc?.();
if (engines.includes('ours')) {
  const built = await timed(() => createFlexsearchRetriever(passages));
  console.log(
    `this package: ${seconds(built.wallMs)} s wall, ${seconds(built.cpuMs)} s CPU, ${built.value.stats.passages} passages`,
  );
}
(globalThis as { gc?: () => void }).gc?.();
if (engines.includes('raw')) {
  const built = await timed(() => {
    const index = new Index();
    passages.forEach((passage, document) => index.add(document, passage.contents));
    return index;
  });
  console.log(`raw flexsearch: ${seconds(built.wallMs)} s wall, ${seconds(built.cpuMs)} s CPU`);
}
