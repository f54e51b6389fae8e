import type { TagDeltaEvent, TagEndEvent, TagEvent, TagName, TagStartEvent } from './tag-event';

/**
 * An incremental parser of `<think>`, `<search>`, `<result>` and `<answer>` tags in streamed text.
 * `push` returns the events its chunk completes; `flush` ends the stream and returns the rest, after
 * which the parser is reset and may parse a new stream.
 */
export interface TagParser {
  push(chunk: string): TagEvent[];
  flush(): TagEvent[];
}

// Openers at 0..3 and closers at 4..7, in TagName order.
const tagByIndex: readonly TagName[] = ['think', 'search', 'result', 'answer'];
const literals: readonly string[] = [
  '<think>',
  '<search>',
  '<result>',
  '<answer>',
  '</think>',
  '</search>',
  '</result>',
  '</answer>',
];
const startEvents: readonly TagStartEvent[] = tagByIndex.map((tag) => ({ type: `${tag}-start` }) as TagStartEvent);
const endEvents: readonly TagEndEvent[] = tagByIndex.map((tag) => ({ type: `${tag}-end` }) as TagEndEvent);
const deltaTypes: Readonly<Record<TagName, TagDeltaEvent['type']>> = {
  think: 'think-delta',
  search: 'search-delta',
  result: 'result-delta',
  answer: 'answer-delta',
};

const noMatch = -1;
/** The text from `<` to the end of the buffer is a proper prefix of a tag literal: wait for more. */
const partialMatch = -2;

/** Which literal starts at `at` (where `text[at] === '<'`): its index, `noMatch`, or `partialMatch`. */
function matchLiteralAt(text: string, at: number): number {
  let nameAt = at + 1;
  let base = 0;
  if (nameAt >= text.length) return partialMatch;
  if (text.charCodeAt(nameAt) === 0x2f /* / */) {
    base = 4;
    nameAt += 1;
    if (nameAt >= text.length) return partialMatch;
  }
  const first = text.charCodeAt(nameAt);
  // t(hink) s(earch) r(esult) a(nswer)
  const tagIndex = first === 0x74 ? 0 : first === 0x73 ? 1 : first === 0x72 ? 2 : first === 0x61 ? 3 : -1;
  if (tagIndex < 0) return noMatch;
  const index = base + tagIndex;
  const literal = literals[index]!;
  if (text.length - at >= literal.length) return text.startsWith(literal, at) ? index : noMatch;
  return literal.startsWith(text.slice(at)) ? partialMatch : noMatch;
}

/**
 * Creates a streaming tag parser.
 *
 * Rules (malformed input is data; the parser never throws):
 * - Tags are the eight exact, case-sensitive literals `<think>` … `</answer>`. Anything else that
 *   starts with `<` (`<foo>`, `<Think>`, `a < b`, `<thinking>`) is ordinary text, with no diagnostic.
 * - Outside a tag, an opener starts that tag (`think-start`); text is `text-delta`.
 * - Inside tag T, only `</T>` ends it (`think-end`). Tags do not nest: any other opener or closer
 *   inside T stays part of T's content (a `think-delta`), preceded by a `tag-error` diagnostic
 *   (`nested-opener` or `stray-closer`). A closer outside any tag is likewise `text-delta` preceded by
 *   a `stray-closer` diagnostic.
 * - At `flush`, a tag still open gets an `unclosed-tag` diagnostic and no end event.
 * - A possible partial tag at the end of the buffer (`<`, `<sea`, `</ans`) is held back and emitted
 *   only once the next chunk (or `flush`) decides what it is, so splitting the stream anywhere yields
 *   the same events up to how deltas are cut into pieces.
 * - Concatenating {@link tagEventSourceText} over every event reproduces the input exactly.
 * Empty deltas are never emitted.
 */
export function createTagParser(): TagParser {
  let openIndex = -1;
  let openOffset = 0;
  let pending = '';
  /** Stream offset of the first character of `pending` (and of the next chunk when nothing is pending). */
  let offset = 0;

  function pushDelta(events: TagEvent[], text: string, start: number, end: number): void {
    if (end <= start) return;
    const delta = start === 0 && end === text.length ? text : text.slice(start, end);
    if (openIndex < 0) events.push({ type: 'text-delta', delta });
    else events.push({ type: deltaTypes[tagByIndex[openIndex]!], delta });
  }

  function push(chunk: string): TagEvent[] {
    const events: TagEvent[] = [];
    const text = pending === '' ? chunk : pending + chunk;
    const base = offset;
    pending = '';
    let runStart = 0;
    let position = 0;
    for (;;) {
      const at = text.indexOf('<', position);
      if (at < 0) break;
      const match = matchLiteralAt(text, at);
      if (match === noMatch) {
        position = at + 1;
        continue;
      }
      if (match === partialMatch) {
        pushDelta(events, text, runStart, at);
        pending = text.slice(at);
        offset = base + at;
        return events;
      }
      const length = literals[match]!.length;
      const tagIndex = match & 3;
      const closing = match >= 4;
      pushDelta(events, text, runStart, at);
      if (openIndex < 0 && !closing) {
        events.push(startEvents[tagIndex]!);
        openIndex = tagIndex;
        openOffset = base + at;
        runStart = at + length;
      } else if (openIndex === tagIndex && closing) {
        events.push(endEvents[tagIndex]!);
        openIndex = -1;
        runStart = at + length;
      } else {
        events.push({
          type: 'tag-error',
          reason: closing ? 'stray-closer' : 'nested-opener',
          tag: tagByIndex[tagIndex]!,
          offset: base + at,
        });
        runStart = at; // the literal itself is delivered as content
      }
      position = at + length;
    }
    pushDelta(events, text, runStart, text.length);
    offset = base + text.length;
    return events;
  }

  function flush(): TagEvent[] {
    const events: TagEvent[] = [];
    if (pending !== '') {
      pushDelta(events, pending, 0, pending.length);
      pending = '';
    }
    if (openIndex >= 0) {
      events.push({ type: 'tag-error', reason: 'unclosed-tag', tag: tagByIndex[openIndex]!, offset: openOffset });
    }
    openIndex = -1;
    openOffset = 0;
    offset = 0;
    return events;
  }

  return { push, flush };
}
