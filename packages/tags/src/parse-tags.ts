import type { TagName } from './tag-event';
import { createTagParser } from './tag-parser';

/**
 * One span of a parsed rollout. For a tag, `text` is its content without the tags and `closed` says
 * whether its closing tag was seen; a text span is always `closed: true`. Stray closers and nested
 * openers stay, as written, in the text of the span that holds them (see {@link createTagParser}).
 */
export interface TagSegment {
  kind: 'text' | TagName;
  text: string;
  closed: boolean;
}

/**
 * Parses a whole rollout into segments in order, with the rules of {@link createTagParser}. Empty tags
 * (`<think></think>`) give a segment with `text: ''`; text segments are never empty.
 * Writing each segment back (`text`, or `<tag>` + text + `</tag>` when closed) gives the input.
 */
export function parseTags(text: string): TagSegment[] {
  const parser = createTagParser();
  const segments: TagSegment[] = [];
  let current: TagSegment | undefined;
  for (const event of [...parser.push(text), ...parser.flush()]) {
    switch (event.type) {
      case 'tag-error':
        break;
      case 'text-delta':
        if (current === undefined || current.kind !== 'text') {
          current = { kind: 'text', text: '', closed: true };
          segments.push(current);
        }
        current.text += event.delta;
        break;
      case 'think-start':
      case 'search-start':
      case 'result-start':
      case 'answer-start':
        current = { kind: event.type.slice(0, -'-start'.length) as TagName, text: '', closed: false };
        segments.push(current);
        break;
      case 'think-delta':
      case 'search-delta':
      case 'result-delta':
      case 'answer-delta':
        if (current !== undefined) current.text += event.delta;
        break;
      case 'think-end':
      case 'search-end':
      case 'result-end':
      case 'answer-end':
        if (current !== undefined) current.closed = true;
        current = undefined;
        break;
    }
  }
  return segments;
}
