// Reading speed of the loaders against raw baselines measured in the same process.
// Run: npm run bench -w @research-ts/datasets   (writes a ~100 MB JSONL corpus to os.tmpdir(), removed after)
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { formatPassageContents, readCorpusJsonl, readQuestionArray, writeJsonl } from '@research-ts/datasets';

const repetitions = 3;
const corpusBytes = 100 * 1024 * 1024;

async function best(
  label: string,
  run: () => Promise<number>,
): Promise<{ label: string; seconds: number; count: number }> {
  let seconds = Infinity;
  let count = 0;
  for (let repetition = 0; repetition < repetitions; repetition += 1) {
    const start = process.hrtime.bigint();
    count = await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { label, seconds, count };
}

async function rawReadline(path: string): Promise<number> {
  let lines = 0;
  const input = createInterface({
    input: createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }),
    crlfDelay: Infinity,
  });
  for await (const line of input) if (line.length >= 0) lines += 1;
  return lines;
}

async function readlineJsonParse(path: string): Promise<number> {
  let records = 0;
  const input = createInterface({
    input: createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 }),
    crlfDelay: Infinity,
  });
  for await (const line of input) if (JSON.parse(line) !== null) records += 1;
  return records;
}

async function countRecords(iterable: AsyncIterable<unknown>): Promise<number> {
  let records = 0;
  for await (const record of iterable) if (record !== undefined) records += 1;
  return records;
}

function report(
  title: string,
  bytes: number,
  baseline: { seconds: number },
  rows: { label: string; seconds: number; count: number }[],
): void {
  console.log(`\n${title} (${(bytes / 1e6).toFixed(1)} MB, best of ${repetitions})`);
  console.log('| reader | records | seconds | records/s | MB/s | time vs baseline |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const rate = Math.round(row.count / row.seconds).toLocaleString('en-US');
    const megabytes = (bytes / 1e6 / row.seconds).toFixed(1);
    console.log(
      `| ${row.label} | ${row.count} | ${row.seconds.toFixed(3)} | ${rate} | ${megabytes} | ${(row.seconds / baseline.seconds).toFixed(2)}× |`,
    );
  }
}

const folder = mkdtempSync(join(tmpdir(), 'research-ts-datasets-bench-'));
try {
  // A wiki-18-like corpus: ~600-byte passages with a quoted title line, some non-ASCII text.
  const corpusPath = join(folder, 'corpus.jsonl');
  const words = [
    'the',
    'river',
    'Zürich',
    'station',
    'was',
    'opened',
    'in',
    '1912',
    'by',
    'Société',
    'des',
    'chemins',
    'de',
    'fer',
    '—',
    'and',
  ];
  await writeJsonl(
    corpusPath,
    (function* () {
      let bytes = 0;
      for (let index = 0; bytes < corpusBytes; index += 1) {
        const text = Array.from({ length: 95 }, (_, word) => words[(index * 7 + word * 3) % words.length]).join(' ');
        const passage = { id: String(index), contents: formatPassageContents(`Passage ${index}`, text) };
        bytes += Buffer.byteLength(JSON.stringify(passage)) + 1;
        yield passage;
      }
    })(),
  );
  const corpusSize = statSync(corpusPath).size;
  const raw = await best('raw readline (baseline)', () => rawReadline(corpusPath));
  report('Corpus JSONL', corpusSize, raw, [
    raw,
    await best('readline + JSON.parse', () => readlineJsonParse(corpusPath)),
    await best('readCorpusJsonl (strict UTF-8 + JSON + zod)', () => countRecords(readCorpusJsonl(corpusPath))),
  ]);

  const wikiPath = resolve(import.meta.dirname, '../../../../shared/research-data/qa-dev/2wikimultihopqa_dev.json');
  const wikiSize = statSync(wikiPath).size;
  const parse = await best(
    'readFileSync + JSON.parse (baseline)',
    async () => (JSON.parse(readFileSync(wikiPath, 'utf8')) as unknown[]).length,
  );
  report('2WikiMultiHopQA dev, JSON array', wikiSize, parse, [
    parse,
    await best('readQuestionArray (validated QaExample)', () => countRecords(readQuestionArray(wikiPath))),
  ]);
  console.log(`\nNode ${process.version}, ${process.platform} ${process.arch}`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
