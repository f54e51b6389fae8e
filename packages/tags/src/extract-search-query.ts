import { pythonStrip } from './python-strip';

/**
 * The search query of a generation that stopped at `</search>`, as ReSearch's rollout extracts it
 * (`vllm_rollout.py`, `vLLMRolloutWithSearch`): the text between the last `</search>` and the last
 * `<search>` that ends before it (Python `rindex(end_tag)` then `rindex(start_tag, 0, end)`), stripped
 * with Python's `str.strip()` whitespace set.
 *
 * Returns `undefined` when there is no `</search>`, or no `<search>` before the last `</search>`
 * (ReSearch catches that `ValueError` and searches for `''`). A found but blank query returns `''`:
 * see {@link resultTextForQuery} for what ReSearch inserts then.
 */
export function extractSearchQuery(text: string): string | undefined {
  const openTag = '<search>';
  const end = text.lastIndexOf('</search>');
  if (end < openTag.length) return undefined;
  const start = text.lastIndexOf(openTag, end - openTag.length);
  if (start < 0) return undefined;
  return pythonStrip(text.slice(start + openTag.length, end));
}
