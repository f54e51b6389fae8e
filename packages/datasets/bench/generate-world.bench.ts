// Speed of the synthetic world generator, against serialising the default world to JSON in the same process.
// Run: node --conditions=@research-ts/source --import tsx bench/generate-world.bench.ts  (part of npm run bench)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld, worldVocabulary, writeWorld, type GenerateWorldOptions } from '@research-ts/datasets';

const repetitions = 5;

async function best(run: () => unknown): Promise<number> {
  let seconds = Infinity;
  for (let repetition = 0; repetition < repetitions; repetition += 1) {
    const start = process.hrtime.bigint();
    await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return seconds;
}

const scaled = (factor: number): GenerateWorldOptions => ({
  seed: 1,
  people: 200 * factor,
  places: 40 * factor,
  organisations: 40 * factor,
  countries: 8 * factor,
  questionsPerHop: { 1: 200 * factor, 2: 200 * factor, 3: 200 * factor },
});

const firstStart = process.hrtime.bigint();
const world = generateWorld({ seed: 1 });
const firstSeconds = Number(process.hrtime.bigint() - firstStart) / 1e9;
const folder = mkdtempSync(join(tmpdir(), 'world-bench-'));
try {
  const rows: { label: string; seconds: number }[] = [];
  const baseline = await best(() => JSON.stringify(world));
  rows.push({ label: 'JSON.stringify(default world) (baseline)', seconds: baseline });
  rows.push({
    label: 'generateWorld({ seed }) (288 entities, 600 questions)',
    seconds: await best(() => generateWorld({ seed: 1 })),
  });
  rows.push({
    label: 'generateWorld ×10 (2,880 entities, 6,000 questions)',
    seconds: await best(() => generateWorld(scaled(10))),
  });
  rows.push({
    label: 'generateWorld ×50 (14,400 entities, 30,000 questions)',
    seconds: await best(() => generateWorld(scaled(50))),
  });
  rows.push({ label: 'worldVocabulary(default world)', seconds: await best(() => worldVocabulary(world)) });
  rows.push({
    label: 'writeWorld(default world) (3 files, fsync each)',
    seconds: await best(() => writeWorld(folder, world)),
  });

  console.log(`Node ${process.version}, ${process.platform} ${process.arch}; best of ${repetitions}`);
  console.log(`first generateWorld({ seed: 1 }) in a fresh process (cold JIT): ${(firstSeconds * 1000).toFixed(1)} ms`);
  console.log('| operation | ms | time vs baseline |');
  console.log('|---|---:|---:|');
  for (const row of rows)
    console.log(`| ${row.label} | ${(row.seconds * 1000).toFixed(2)} | ${(row.seconds / baseline).toFixed(1)}× |`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
