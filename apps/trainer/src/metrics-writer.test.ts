import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MetricsWriter, readMetrics } from './metrics-writer';

const freshPath = () => join(mkdtempSync(join(tmpdir(), 'research-ts-metrics-')), 'run', 'metrics.jsonl');

describe('MetricsWriter', () => {
  it('writes one JSON object per line, with a time, and non-finite numbers as strings', () => {
    const writer = new MetricsWriter(freshPath());
    writer.write({ kind: 'train', step: 1, reward: 0.25, kl: Number.NaN, gradNorm: Number.POSITIVE_INFINITY });
    writer.write({ kind: 'eval', step: 1, exactMatch: 0.5 });
    const lines = readFileSync(writer.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ kind: 'train', step: 1, reward: 0.25, kl: 'NaN', gradNorm: 'Infinity' });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
  });

  it('truncateAfter drops the given kinds after the checkpoint’s step, and a torn last line', () => {
    const writer = new MetricsWriter(freshPath());
    writer.write({ kind: 'run', step: 0, event: 'start' });
    for (let step = 1; step <= 5; step++) writer.write({ kind: 'train', step, reward: step / 10 });
    writer.write({ kind: 'eval', step: 4, exactMatch: 0.1 });
    appendFileSync(writer.path, '{"kind":"train","step":6,"rew');
    expect(readMetrics(writer.path).map((record) => record.step)).toEqual([0, 1, 2, 3, 4, 5, 4]);
    writer.truncateAfter(3, ['train', 'eval']);
    expect(readMetrics(writer.path).map((record) => `${record.kind}:${record.step}`)).toEqual([
      'run:0',
      'train:1',
      'train:2',
      'train:3',
    ]);
  });

  it('truncateAfter keeps the warm-up’s records, numbered by warm-up step, when GRPO resumes at an earlier step', () => {
    const writer = new MetricsWriter(freshPath());
    writer.write({ kind: 'run', step: 0, event: 'start' });
    for (const step of [10, 20, 30]) writer.write({ kind: 'warmup', step, loss: 1 / step });
    for (let step = 1; step <= 5; step++) writer.write({ kind: 'train', step, reward: step / 10 });
    writer.truncateAfter(2, ['train', 'eval', 'eval-ablation', 'eval-decoy']);
    expect(readMetrics(writer.path).map((record) => `${record.kind}:${record.step}`)).toEqual([
      'run:0',
      'warmup:10',
      'warmup:20',
      'warmup:30',
      'train:1',
      'train:2',
    ]);
  });

  it('readMetrics refuses a broken line that is not a torn last one, naming the file and line', () => {
    const writer = new MetricsWriter(freshPath());
    appendFileSync(writer.path, '{"kind":"train"\n{"kind":"train","step":2}\n');
    expect(() => readMetrics(writer.path)).toThrow(InvalidInputError);
    expect(() => readMetrics(writer.path)).toThrow(`${writer.path}, line 1: invalid JSON (`);
    // A broken last line followed by a line break was not torn by a crash: it is refused too.
    const ended = new MetricsWriter(freshPath());
    appendFileSync(ended.path, '{"kind":"train","step":1}\n{"kind":"train"\n');
    expect(() => readMetrics(ended.path)).toThrow(`${ended.path}, line 2: invalid JSON (`);
  });
});
