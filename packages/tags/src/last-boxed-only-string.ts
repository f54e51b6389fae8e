/**
 * The last `\boxed{…}` (or, failing that, `\fbox{…}`) in `text`, braces matched, as the
 * `last_boxed_only_string` helper that ReSearch's reward uses (the common MATH-evaluation helper).
 * Returns `undefined` where the helper returns `None`.
 *
 * Its exact rules, kept here:
 * - if `"\boxed "` (with a space) occurs anywhere, the result is `"\boxed "` followed by the text after
 *   the **last** `"\boxed "` up to the first `$` (or the end) — no brace matching, even when a
 *   `\boxed{` comes later;
 * - otherwise it starts at the last `\boxed` (else the last `\fbox`; neither → `undefined`) and scans
 *   forward counting `{` as +1 and `}` as −1; the first `}` that brings the count to exactly 0 ends
 *   the match (inclusive). No such `}` (unbalanced braces) → `undefined`. A `}` before any `{` drives
 *   the count negative, and the count is then never 0 at a `}` unless later braces bring it back.
 */
export function lastBoxedOnlyString(text: string): string | undefined {
  const spaceForm = '\\boxed ';
  if (text.includes(spaceForm)) {
    const afterLast = text.slice(text.lastIndexOf(spaceForm) + spaceForm.length);
    const dollar = afterLast.indexOf('$');
    return spaceForm + (dollar < 0 ? afterLast : afterLast.slice(0, dollar));
  }
  let start = text.lastIndexOf('\\boxed');
  if (start < 0) {
    start = text.lastIndexOf('\\fbox');
    if (start < 0) return undefined;
  }
  let openBraces = 0;
  for (let index = start; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x7b /* { */) openBraces += 1;
    else if (code === 0x7d /* } */) {
      openBraces -= 1;
      if (openBraces === 0) return text.slice(start, index + 1);
    }
  }
  return undefined;
}
