import type { Judge, JudgeItem, JudgeVerdict } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** One item of the suite and the verdict any sensible judge gives it. */
export interface JudgeConformanceCase {
  item: JudgeItem;
  expected: 'correct' | 'incorrect';
}

function frozenCase(item: JudgeItem, expected: 'correct' | 'incorrect'): JudgeConformanceCase {
  return Object.freeze({
    item: Object.freeze({ ...item, goldenAnswers: Object.freeze([...item.goldenAnswers]) }),
    expected,
  });
}

const hamlet = { question: 'Who wrote the play Hamlet?', goldenAnswers: ['William Shakespeare', 'Shakespeare'] };

/**
 * The items every judge is asked about, deep-frozen, with the verdicts a sensible judge gives them: an
 * exact golden answer, another golden alias, a plausible wrong answer, a wrong city, a golden answer with
 * an article, an empty prediction (wrong, not a failure), and a non-ASCII answer. A fake judge server
 * answers them by normalized exact match (`exactMatchVerdict`).
 */
export const judgeConformanceCases: readonly JudgeConformanceCase[] = Object.freeze([
  frozenCase({ ...hamlet, prediction: 'William Shakespeare' }, 'correct'),
  frozenCase({ ...hamlet, prediction: 'Shakespeare' }, 'correct'),
  frozenCase({ ...hamlet, prediction: 'Christopher Marlowe' }, 'incorrect'),
  frozenCase(
    { question: 'What is the capital of Australia?', goldenAnswers: ['Canberra'], prediction: 'Sydney' },
    'incorrect',
  ),
  frozenCase(
    {
      question: 'Which river flows through Cairo?',
      goldenAnswers: ['Nile', 'the Nile', 'Nile River'],
      prediction: 'the Nile',
    },
    'correct',
  ),
  frozenCase({ question: 'Which river flows through Cairo?', goldenAnswers: ['Nile'], prediction: '' }, 'incorrect'),
  frozenCase(
    { question: 'What is 東京 called in English?', goldenAnswers: ['Tokyo', '東京'], prediction: '東京' },
    'correct',
  ),
]);

const items: readonly JudgeItem[] = judgeConformanceCases.map((entry) => entry.item);
const expectedStatuses = judgeConformanceCases.map((entry) => entry.expected);

/** The faults a judge can be built over; a check that needs one the options do not provide is skipped. */
export type JudgeFault = 'unreachable' | 'hanging' | 'malformedOutput';

export interface JudgeConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /** A judge whose model (server, rule) works and answers {@link judgeConformanceCases} sensibly. */
  createJudge: () => Judge | Promise<Judge>;
  /**
   * The same judge over a faulty dependency, one builder per fault it can have (a judge without a server
   * or a model output has none; those checks are then reported with `it.skip` and the reason):
   * - `unreachable`: its server is down (a closed port); the judge should retry briefly.
   * - `hanging`: its server takes requests and never answers (for aborting mid-call).
   * - `malformedOutput`: its model answers, but with text that is not a verdict (prose, cut-off JSON).
   */
  faults?: Partial<Record<JudgeFault, () => Judge | Promise<Judge>>>;
  /** Called after the suite for the judge of `createJudge`, and after each fault check for its judge. */
  disposeJudge?: (judge: Judge) => Promise<void> | void;
}

/** One check; `run` gets the working judge, or the judge of its `fault`, and throws when it does not conform. */
export interface JudgeConformanceCheck {
  name: string;
  fault?: JudgeFault;
  run: (judge: Judge) => Promise<void>;
}

function statuses(verdicts: readonly JudgeVerdict[]): string[] {
  return verdicts.map((verdict) => verdict.status);
}

/** Asserts one verdict per item, each of the spec's shape. */
function expectWellFormed(verdicts: unknown, count: number, label: string): asserts verdicts is JudgeVerdict[] {
  expect(Array.isArray(verdicts), `${label}: judge did not resolve to an array`).toBe(true);
  const list = verdicts as JudgeVerdict[];
  expect(list, `${label}: one verdict per item`).toHaveLength(count);
  list.forEach((verdict, index) => {
    const where = `${label}: verdict ${index}`;
    expect(['correct', 'incorrect', 'failed'], `${where}: unknown status`).toContain(verdict?.status);
    if (verdict.status === 'failed') {
      expect(typeof verdict.error === 'string' && verdict.error.length > 0, `${where}: failed without an error`).toBe(
        true,
      );
    } else {
      expect(typeof verdict.rationale, `${where}: rationale is not a string`).toBe('string');
    }
  });
}

/** Asserts that a dependency fault gave `failed` verdicts, never a verdict and never a rejection. */
async function expectAllFailed(judge: Judge, fault: string): Promise<void> {
  let verdicts: JudgeVerdict[];
  try {
    verdicts = await judge.judge(items);
  } catch (error) {
    throw new Error(
      `${fault}: judge rejected (${error instanceof Error ? error.message : String(error)}); a dependency fault ` +
        "must give { status: 'failed', error } per item, never a rejection nor a verdict",
      { cause: error },
    );
  }
  expectWellFormed(verdicts, items.length, fault);
  expect(statuses(verdicts), `${fault}: a verdict was guessed`).toEqual(items.map(() => 'failed'));
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/**
 * The checks, in order. Exported so that tests can run them against deliberately broken judges (a suite
 * that cannot fail proves nothing). The items are deep-frozen: a judge that writes to them throws.
 *
 * The contract: one verdict per item in item order, of the spec's shape; `failed` (with an error) when the
 * judge could not give a verdict, whatever the reason (a dead server, output that is not a verdict),
 * never `correct` or `incorrect` and never a rejection; an aborted signal rejects with its reason.
 */
export const judgeConformanceChecks: readonly JudgeConformanceCheck[] = [
  {
    name: 'returns [] for an empty batch',
    async run(judge) {
      expect(await judge.judge([])).toEqual([]);
    },
  },
  {
    name: 'returns one well-formed verdict per item, in item order, and judges the obvious cases',
    async run(judge) {
      const verdicts = await judge.judge(items);
      expectWellFormed(verdicts, items.length, 'batch');
      expect(statuses(verdicts)).toEqual(expectedStatuses);
    },
  },
  {
    name: 'judges a batch like its items one by one, and a reversed batch in reverse',
    async run(judge) {
      const batch = statuses(await judge.judge(items));
      const single: string[] = [];
      for (const item of items) single.push(...statuses(await judge.judge([item])));
      expect(single).toEqual(batch);
      expect(statuses(await judge.judge([...items].reverse()))).toEqual([...batch].reverse());
    },
  },
  {
    name: 'judges a large batch with repeated items (25) and concurrent calls on one judge',
    async run(judge) {
      const large = Array.from({ length: 25 }, (_, index) => items[index % items.length]!);
      const [all, first, last] = await Promise.all([
        judge.judge(large),
        judge.judge(items.slice(0, 3)),
        judge.judge(items.slice(3)),
      ]);
      expectWellFormed(all, large.length, 'large batch');
      expect(statuses(all)).toEqual(large.map((_, index) => expectedStatuses[index % items.length]));
      expect([...statuses(first!), ...statuses(last!)]).toEqual(expectedStatuses);
    },
  },
  {
    name: 'is deterministic across repeated calls and leaves the items unchanged',
    async run(judge) {
      const copy = structuredClone(items);
      const first = await judge.judge(items);
      const second = await judge.judge(items);
      expect(statuses(second)).toEqual(statuses(first));
      expect(items).toEqual(copy);
    },
  },
  {
    name: 'rejects with the reason of an already-aborted signal',
    async run(judge) {
      const controller = new AbortController();
      const reason = new Error('judge conformance: aborted before the call');
      controller.abort(reason);
      await expect(judge.judge(items, { signal: controller.signal })).rejects.toBe(reason);
    },
  },
  {
    name: 'a signal that is not aborted changes nothing, nor does aborting it after the call',
    async run(judge) {
      const controller = new AbortController();
      const verdicts = await judge.judge(items, { signal: controller.signal });
      expect(statuses(verdicts)).toEqual(expectedStatuses);
      controller.abort(new Error('judge conformance: aborted after the call'));
      await sleep(10);
    },
  },
  {
    name: 'rejects with the reason, at once, when aborted mid-call',
    fault: 'hanging',
    async run(judge) {
      const controller = new AbortController();
      const reason = new Error('judge conformance: aborted mid-call');
      const settled = judge.judge(items, { signal: controller.signal }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      const early = await Promise.race([settled, sleep(30).then(() => 'pending')]);
      expect(early, 'the hanging judge answered before the abort').toBe('pending');
      controller.abort(reason);
      const outcome = await Promise.race([settled, sleep(500).then(() => 'still pending 500 ms after the abort')]);
      expect(outcome).toBe(reason);
    },
  },
  {
    name: 'gives failed verdicts, never correct or incorrect nor a rejection, when its server is down',
    fault: 'unreachable',
    run: (judge) => expectAllFailed(judge, 'unreachable server'),
  },
  {
    name: 'gives failed verdicts, never a guess, for model output that is not a verdict',
    fault: 'malformedOutput',
    run: (judge) => expectAllFailed(judge, 'malformed output'),
  },
];

/**
 * The conformance suite every `Judge` implementation runs (a vitest `describe` block). Call it at the
 * top level of a test file:
 *
 * ```ts
 * runJudgeConformance({
 *   name: 'openai',
 *   createJudge: () => createOpenAIJudge({ baseURL: server.url }),
 *   faults: { unreachable: () => createOpenAIJudge({ baseURL: closedPortURL, maxRetries: 1 }) },
 * });
 * ```
 *
 * The working judge is built once; each fault's judge is built for its check. Each check is one `it`.
 */
export function runJudgeConformance(options: JudgeConformanceOptions): void {
  describe(`${options.name}: Judge conformance`, () => {
    let judge: Judge | undefined;
    beforeAll(async () => {
      judge = await options.createJudge();
    });
    afterAll(async () => {
      if (judge !== undefined) await options.disposeJudge?.(judge);
    });
    it('declares specificationVersion v1 and a name', () => {
      expect(judge!.specificationVersion).toBe('v1');
      expect(typeof judge!.name).toBe('string');
      expect(judge!.name.length).toBeGreaterThan(0);
    });
    for (const check of judgeConformanceChecks) {
      if (check.fault === undefined) {
        it(check.name, () => check.run(judge!));
        continue;
      }
      const create = options.faults?.[check.fault];
      if (create === undefined) {
        // Skipped with its reason in the title: the implementation gave no judge with this fault.
        it.skip(`${check.name} — skipped: no faults.${check.fault} judge given`, () => {});
        continue;
      }
      it(check.name, async () => {
        const faulty = await create();
        try {
          await check.run(faulty);
        } finally {
          await options.disposeJudge?.(faulty);
        }
      });
    }
  });
}
