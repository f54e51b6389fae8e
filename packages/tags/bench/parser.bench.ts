/**
 * Tag-parser throughput: push in 16-byte, 256-byte and whole-string chunks over a generated 10 MB
 * rollout corpus, against a plain `String.prototype.indexOf('<')` scan of the same data in this process.
 * Run: npm run bench -w @research-ts/tags
 */
import { cpus } from 'node:os';
import { createRandom, generateRollout, mutateRollout } from '../src/__fixtures__/rollouts';
import { createTagParser } from '../src/tag-parser';

const targetBytes = 10 * 1000 * 1000;
const runs = 7;

function buildCorpus(): string {
  const random = createRandom(42);
  const parts: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const rollout = generateRollout(random, 40);
    const text = random() < 0.2 ? mutateRollout(rollout, random) : rollout;
    parts.push(text, '<|im_end|>\n');
    bytes += Buffer.byteLength(text) + 11;
  }
  return parts.join('');
}

function chunk(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size) chunks.push(text.slice(start, start + size));
  return chunks;
}

/** Median wall time in ms of `runs` runs after one warm-up; `work` returns a number so it is not optimized away. */
function measure(work: () => number): { milliseconds: number; check: number } {
  let check = work();
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    check += work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { milliseconds: times[Math.floor(times.length / 2)]!, check };
}

function scanWithIndexOf(text: string): number {
  let count = 0;
  let position = text.indexOf('<');
  while (position >= 0) {
    count += 1;
    position = text.indexOf('<', position + 1);
  }
  return count;
}

function parseChunks(chunks: readonly string[]): number {
  const parser = createTagParser();
  let events = 0;
  for (const piece of chunks) events += parser.push(piece).length;
  return events + parser.flush().length;
}

const corpus = buildCorpus();
const megabytes = Buffer.byteLength(corpus) / 1e6;
const chunked16 = chunk(corpus, 16);
const chunked256 = chunk(corpus, 256);

const baseline = measure(() => scanWithIndexOf(corpus));
const baselineSpeed = megabytes / (baseline.milliseconds / 1000);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
console.log(
  `corpus: ${megabytes.toFixed(2)} MB UTF-8, ${corpus.length} UTF-16 code units, ${baseline.check / (runs + 1)} '<' characters`,
);
console.log(`baseline indexOf('<') scan: ${baseline.milliseconds.toFixed(1)} ms, ${baselineSpeed.toFixed(0)} MB/s`);
for (const [label, chunks] of [
  ['push, 16-byte chunks', chunked16],
  ['push, 256-byte chunks', chunked256],
  ['push, whole string', [corpus]],
] as const) {
  const result = measure(() => parseChunks(chunks));
  const speed = megabytes / (result.milliseconds / 1000);
  console.log(
    `${label}: ${result.milliseconds.toFixed(1)} ms, ${speed.toFixed(0)} MB/s, ` +
      `${(result.check / (runs + 1)).toFixed(0)} events, ratio to baseline ${(baseline.milliseconds / result.milliseconds).toFixed(3)}` +
      ` (${(result.milliseconds / baseline.milliseconds).toFixed(1)}x the baseline time)`,
  );
}
