import { ApiCallError, type Judge, type JudgeItem, type JudgeVerdict } from '@research-ts/spec';
import { delay } from '@research-ts/spec';

export interface MockJudgeOptions {
  name?: string;
  /** The verdict of one item; by default {@link exactMatchVerdict}. */
  decide?: (item: JudgeItem, index: number) => JudgeVerdict;
  /** Reject the first `failTimes` calls with a retryable {@link ApiCallError}. */
  failTimes?: number;
  delayMs?: number;
}

/** Lowercase, trim, collapse runs of whitespace. */
function normalize(text: string): string {
  return text.toLowerCase().trim().replace(/\s+/g, ' ');
}

/**
 * The default verdict of {@link MockJudge}: `correct` when the prediction equals a golden answer after
 * lowercasing, trimming and collapsing whitespace; otherwise `incorrect`. The rationale names the rule.
 */
export function exactMatchVerdict(item: JudgeItem): JudgeVerdict {
  const prediction = normalize(item.prediction);
  const match = item.goldenAnswers.find((golden) => normalize(golden) === prediction);
  return match === undefined
    ? {
        status: 'incorrect',
        rationale: `"${item.prediction}" matches none of ${item.goldenAnswers.length} golden answers`,
      }
    : { status: 'correct', rationale: `"${item.prediction}" matches golden answer "${match}"` };
}

/** A deterministic `Judge` for tests: a verdict function per item, call recording, scripted failures. */
export class MockJudge implements Judge {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  /** The items of every call, in order (failed calls included). */
  readonly calls: JudgeItem[][] = [];
  private readonly decide: (item: JudgeItem, index: number) => JudgeVerdict;
  private failuresLeft: number;
  private readonly delayMs: number;

  constructor(options: MockJudgeOptions = {}) {
    this.name = options.name ?? 'mock-judge';
    this.decide = options.decide ?? exactMatchVerdict;
    this.failuresLeft = options.failTimes ?? 0;
    this.delayMs = options.delayMs ?? 0;
  }

  async judge(items: readonly JudgeItem[], options: { signal?: AbortSignal } = {}): Promise<JudgeVerdict[]> {
    options.signal?.throwIfAborted();
    const call = this.calls.length;
    this.calls.push(items.map((item) => ({ ...item, goldenAnswers: [...item.goldenAnswers] })));
    if (this.delayMs > 0) await delay(this.delayMs, options.signal);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new ApiCallError(`mock judge failure on call ${call}`, { url: 'mock://judge', statusCode: 503 });
    }
    return items.map((item, index) => this.decide(item, index));
  }
}
