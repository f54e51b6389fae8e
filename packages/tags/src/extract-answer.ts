import { lastBoxedOnlyString } from './last-boxed-only-string';
import { removeBoxed } from './remove-boxed';

/**
 * Why no answer could be extracted:
 * - `answer-missing`: no `<answer>…</answer>` pair (ReSearch: "cannot extract answer");
 * - `boxed-missing`: the answer holds no `\boxed`/`\fbox` with balanced braces (ReSearch: a "find box
 *   error", `remove_boxed(None)`);
 * - `boxed-malformed`: a box was found but is not a `\boxed{…}`/`\boxed …` form, e.g. `\fbox{…}`
 *   (ReSearch: a "find box error", an assertion in `remove_boxed`).
 */
export type ExtractAnswerReason = 'answer-missing' | 'boxed-missing' | 'boxed-malformed';

export type ExtractAnswerResult =
  { ok: true; answer: string } | { ok: false; reason: ExtractAnswerReason; message: string };

/**
 * The `<answer>` content ReSearch's reward scores, exactly as it finds it:
 * 1. the **first** `<answer>(.*?)</answer>` (DOTALL): the first `<answer>` and the first `</answer>`
 *    after it;
 * 2. inside it, {@link lastBoxedOnlyString} (the last `\boxed{…}` with brace matching, or the
 *    `\boxed ` space form);
 * 3. then {@link removeBoxed}.
 * The answer is returned as found, not trimmed or normalized (scoring normalizes it).
 */
export function extractAnswer(response: string): ExtractAnswerResult {
  const open = response.indexOf('<answer>');
  const close = open < 0 ? -1 : response.indexOf('</answer>', open + '<answer>'.length);
  if (open < 0 || close < 0) {
    return { ok: false, reason: 'answer-missing', message: 'cannot extract answer' };
  }
  const answerPart = response.slice(open + '<answer>'.length, close);
  const boxed = lastBoxedOnlyString(answerPart);
  if (boxed === undefined) {
    return { ok: false, reason: 'boxed-missing', message: 'no \\boxed{} with balanced braces in the answer' };
  }
  const answer = removeBoxed(boxed);
  if (answer === undefined) {
    return { ok: false, reason: 'boxed-malformed', message: `not a \\boxed{...} form: ${boxed}` };
  }
  return { ok: true, answer };
}
