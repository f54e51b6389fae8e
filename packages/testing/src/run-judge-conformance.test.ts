import type { Judge, JudgeItem, JudgeVerdict } from '@research-ts/spec';
import { delay } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { exactMatchVerdict, MockJudge } from './mock-judge';
import { judgeConformanceCases, judgeConformanceChecks, runJudgeConformance } from './run-judge-conformance';

runJudgeConformance({
  name: 'MockJudge',
  createJudge: () => new MockJudge(),
  // MockJudge has no server and no model output: only the hanging fault applies.
  faults: { hanging: () => new MockJudge({ delayMs: 600_000 }) },
});

/** A judge from a function of the items and the signal. */
function judgeOf(
  judge: (items: readonly JudgeItem[], signal: AbortSignal | undefined) => Promise<JudgeVerdict[]>,
): Judge {
  return { specificationVersion: 'v1', name: 'broken', judge: (items, options) => judge(items, options?.signal) };
}

function check(name: string) {
  const found = judgeConformanceChecks.find((candidate) => candidate.name.startsWith(name));
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

const exactMatch = async (items: readonly JudgeItem[]) => items.map((item) => exactMatchVerdict(item));

describe('judgeConformanceCases', () => {
  it('are deep-frozen and judged as stated by the exact-match rule', () => {
    for (const { item, expected } of judgeConformanceCases) {
      expect(Object.isFrozen(item) && Object.isFrozen(item.goldenAnswers)).toBe(true);
      expect(exactMatchVerdict(item).status).toBe(expected);
    }
  });
});

describe('judgeConformanceChecks', () => {
  it('all non-fault checks pass on MockJudge', async () => {
    const judge = new MockJudge();
    for (const candidate of judgeConformanceChecks) if (candidate.fault === undefined) await candidate.run(judge);
  });

  it('fail a judge that answers an empty batch, or gives verdicts out of order', async () => {
    const padded = judgeOf(async (items) =>
      items.length === 0 ? [{ status: 'failed', error: 'empty' }] : exactMatch(items),
    );
    await expect(check('returns [] for an empty batch').run(padded)).rejects.toThrow();
    const reversed = judgeOf(async (items) => (await exactMatch(items)).reverse());
    await expect(check('returns one well-formed verdict').run(reversed)).rejects.toThrow();
  });

  it('fail a verdict of the wrong shape (failed without an error, an unknown status)', async () => {
    const noError = judgeOf(async (items) => items.map(() => ({ status: 'failed', error: '' })));
    await expect(check('returns one well-formed verdict').run(noError)).rejects.toThrow('failed without an error');
    const shouting = judgeOf(async (items) =>
      items.map(() => ({ status: 'CORRECT', rationale: '' }) as unknown as JudgeVerdict),
    );
    await expect(check('returns one well-formed verdict').run(shouting)).rejects.toThrow('unknown status');
  });

  it('fail a judge whose verdict of an item depends on its batch', async () => {
    // Judges only the first item of a batch; the others are "incorrect".
    const firstOnly = judgeOf(async (items) =>
      items.map((item, index) =>
        index === 0 ? exactMatchVerdict(item) : { status: 'incorrect', rationale: 'not looked at' },
      ),
    );
    await expect(check('judges a batch like its items one by one').run(firstOnly)).rejects.toThrow();
  });

  it('fail a judge whose concurrent calls share state', async () => {
    let current: readonly JudgeItem[] = [];
    const shared = judgeOf(async (items) => {
      current = items;
      await delay(5);
      return current.slice(0, items.length).map((item) => exactMatchVerdict(item));
    });
    await expect(check('judges a large batch').run(shared)).rejects.toThrow();
  });

  it('fail a judge that writes to the items', async () => {
    const trimming = judgeOf(async (items) => {
      for (const item of items) (item as { prediction: string }).prediction = item.prediction.trim();
      return exactMatch(items);
    });
    await expect(check('is deterministic').run(trimming)).rejects.toThrow();
  });

  it('fail a judge that ignores its signal, before or during the call', async () => {
    await expect(
      check('rejects with the reason of an already-aborted signal').run(judgeOf(exactMatch)),
    ).rejects.toThrow();
    const deaf = judgeOf(async (items) => {
      await delay(1_000);
      return exactMatch(items);
    });
    await expect(check('rejects with the reason, at once').run(deaf)).rejects.toThrow('still pending');
  });

  it('fail a judge that counts a dependency fault as a wrong answer, or rejects', async () => {
    const guesses = judgeOf(async (items) => items.map(() => ({ status: 'incorrect', rationale: 'server down' })));
    await expect(check('gives failed verdicts, never correct or incorrect').run(guesses)).rejects.toThrow(
      'a verdict was guessed',
    );
    const rejects = new MockJudge({ failTimes: 1 });
    await expect(check('gives failed verdicts, never correct or incorrect').run(rejects)).rejects.toThrow(
      'never a rejection',
    );
    const failed = judgeOf(async (items) => items.map(() => ({ status: 'failed', error: 'ECONNREFUSED' })));
    await check('gives failed verdicts, never correct or incorrect').run(failed);
  });
});
