import { pythonStrip } from '@research-ts/tags';

/**
 * Why a response fails Search-R1's v0.3 format check (`is_valid_sequence` in `qa_em_format.py`):
 * - `tag-count-mismatch`: for one of think/search/information/answer, the opening and closing tag
 *   counts differ;
 * - `unexpected-tag`: a tag that the state machine does not allow where it stands;
 * - `unexpected-content`: non-whitespace text between tags or after `</answer>`;
 * - `incomplete`: the text ends before `</answer>`.
 */
export type SearchR1FormatReason = 'tag-count-mismatch' | 'unexpected-tag' | 'unexpected-content' | 'incomplete';

export type SearchR1FormatResult = { ok: true } | { ok: false; reason: SearchR1FormatReason; message: string };

const trackedTags = ['think', 'search', 'information', 'answer'] as const;
const tagSplitter = /(<\/?(?:think|search|information|answer)>)/;

type State =
  | 'start'
  | 'in-think'
  | 'after-think'
  | 'in-search'
  | 'after-search'
  | 'in-information'
  | 'after-information'
  | 'in-answer'
  | 'end';

/** The state each tag leads to, from the states that allow it. */
const transitions: Record<string, { from: readonly State[]; to: State }> = {
  '<think>': { from: ['start', 'after-information'], to: 'in-think' },
  '</think>': { from: ['in-think'], to: 'after-think' },
  '<search>': { from: ['after-think'], to: 'in-search' },
  '</search>': { from: ['in-search'], to: 'after-search' },
  '<information>': { from: ['after-search'], to: 'in-information' },
  '</information>': { from: ['in-information'], to: 'after-information' },
  '<answer>': { from: ['after-think'], to: 'in-answer' },
  '</answer>': { from: ['in-answer'], to: 'end' },
};

const contentStates: ReadonlySet<State> = new Set(['in-think', 'in-search', 'in-information', 'in-answer']);

/**
 * Search-R1's v0.3 format rule over a response (research-paper.md §2.5): the response must be
 * `<think>…</think>` then any number of `<search>…</search><information>…</information><think>…</think>`
 * rounds, then `<answer>…</answer>`, with only whitespace between tags and nothing after `</answer>`.
 * Search-R1 runs it on the text after `<|im_start|>assistant`; pass the response alone, without the
 * EOS text (a trailing `<|im_end|>` would be content after `</answer>`).
 */
export function validateSearchR1Format(response: string): SearchR1FormatResult {
  for (const tag of trackedTags) {
    const opening = countOccurrences(response, `<${tag}>`);
    const closing = countOccurrences(response, `</${tag}>`);
    if (opening !== closing) {
      return fail('tag-count-mismatch', `${tag}: ${opening} opening vs ${closing} closing tags`);
    }
  }
  let state: State = 'start';
  // With one capturing group, split alternates text (even indices) and tags (odd indices).
  const parts = response.split(tagSplitter);
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    if (pythonStrip(part) === '') continue;
    if (index % 2 === 1) {
      const transition = transitions[part]!;
      if (!transition.from.includes(state)) return fail('unexpected-tag', `unexpected tag ${part} in state ${state}`);
      state = transition.to;
    } else if (!contentStates.has(state)) {
      return fail('unexpected-content', `unexpected content ${JSON.stringify(pythonStrip(part))} in state ${state}`);
    }
  }
  if (state !== 'end') return fail('incomplete', `the response ends in state ${state}`);
  return { ok: true };
}

function fail(reason: SearchR1FormatReason, message: string): SearchR1FormatResult {
  return { ok: false, reason, message };
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/**
 * The spans of `<open>(.*?)<close>` (DOTALL), left to right and non-overlapping, as Python's
 * `re.finditer` / `re.findall` give them.
 */
export function findTaggedSpans(text: string, open: string, close: string): string[] {
  const spans: string[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(open, from);
    if (start < 0) return spans;
    const end = text.indexOf(close, start + open.length);
    if (end < 0) return spans;
    spans.push(text.slice(start + open.length, end));
    from = end + close.length;
  }
}
