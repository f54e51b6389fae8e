import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { openPredictionLog, predictionKey, type PredictionRow } from './prediction-log';

const row = (id: string, finishReason = 'eos', dataset = 'nq'): PredictionRow => ({
  dataset,
  id,
  question: `question ${id}`,
  goldenAnswers: ['a'],
  reward: 1,
  reason: 'ok',
  formatOk: true,
  prediction: 'a',
  exactMatch: true,
  f1: 1,
  searches: 1,
  failedSearches: finishReason === 'error' ? 1 : 0,
  generatedTokens: 5,
  insertedTokens: 3,
  response: '…',
  queries: ['a'],
  finishReason,
});
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PredictionRow);
const freshPath = () => join(mkdtempSync(join(tmpdir(), 'research-ts-predictions-')), 'out', 'predictions.jsonl');

describe('openPredictionLog', () => {
  it('starts an empty file and appends one whole line per prediction', async () => {
    const path = freshPath();
    const log = await openPredictionLog(path, { resume: false });
    expect(readFileSync(path, 'utf8')).toBe('');
    log.append(row('q0'));
    log.append(row('q1'));
    expect(lines(path).map((line) => line.id)).toEqual(['q0', 'q1']);
    await log.replace([row('q1'), row('q0')]);
    expect(lines(path).map((line) => line.id)).toEqual(['q1', 'q0']);
  });

  it('resumes: keeps the answered rows by dataset and id, asks again those whose search failed, drops a torn last line', async () => {
    const path = freshPath();
    const first = await openPredictionLog(path, { resume: false });
    first.append(row('q0'));
    first.append(row('q0', 'eos', 'hotpotqa'));
    first.append(row('q1', 'error'));
    appendFileSync(path, '{"dataset":"nq","id":"q2","que');
    const resumed = await openPredictionLog(path, { resume: true });
    expect([...resumed.answered.keys()]).toEqual([predictionKey('nq', 'q0'), predictionKey('hotpotqa', 'q0')]);
    // the torn line is gone, so the next append starts a line of its own
    resumed.append(row('q2'));
    expect(lines(path).map((line) => `${line.dataset}/${line.id}`)).toEqual(['nq/q0', 'hotpotqa/q0', 'nq/q2']);
  });

  it('refuses to resume a missing file, and names the line of a broken row', async () => {
    const path = freshPath();
    await expect(openPredictionLog(path, { resume: true })).rejects.toThrow(InvalidConfigError);
    await openPredictionLog(path, { resume: false });
    writeFileSync(path, `${JSON.stringify(row('q0'))}\n{"broken\n${JSON.stringify(row('q1'))}\n`);
    await expect(openPredictionLog(path, { resume: true })).rejects.toThrow(
      new RegExp(`^${path.replaceAll('/', '\\/')}, line 2: invalid JSON`),
    );
    writeFileSync(path, `${JSON.stringify({ ...row('q0'), id: 7 })}\n`);
    const error = await openPredictionLog(path, { resume: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe(`${path}, line 1, field "id": expected a string`);
  });
});
