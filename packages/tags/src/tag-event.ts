/** The four tags of a ReSearch rollout. `<result>` is written by the environment, the others by the model. */
export type TagName = 'think' | 'search' | 'result' | 'answer';

export const TAG_NAMES: readonly TagName[] = ['think', 'search', 'result', 'answer'];

/** `think-start`, `search-start`, …: the opening tag was read; what follows is that tag's content. */
export type TagStartEvent = { [Tag in TagName]: { type: `${Tag}-start` } }[TagName];
/** Content of the open tag. Deltas of one tag may arrive in any number of pieces. */
export type TagDeltaEvent = { [Tag in TagName]: { type: `${Tag}-delta`; delta: string } }[TagName];
/** `think-end`, …: the closing tag of the open tag was read. */
export type TagEndEvent = { [Tag in TagName]: { type: `${Tag}-end` } }[TagName];

/**
 * Why a tag was not taken as structure:
 * - `stray-closer`: a closing tag of a tag that is not open (outside any tag, or inside another tag);
 * - `nested-opener`: an opening tag while another tag is open (tags do not nest);
 * - `unclosed-tag`: the stream ended (flush) while `tag` was open.
 */
export type TagErrorReason = 'stray-closer' | 'nested-opener' | 'unclosed-tag';

/**
 * A diagnostic. It carries no text of its own: the literal of a stray closer or nested opener is
 * delivered, unchanged, in the delta that follows (`text-delta` outside a tag, the open tag's delta
 * inside one). `offset` is the position in the whole stream (UTF-16 code units) of that literal, or of
 * the unclosed tag's opening literal.
 */
export interface TagErrorEvent {
  type: 'tag-error';
  reason: TagErrorReason;
  tag: TagName;
  offset: number;
}

/** Text outside any tag. */
export interface TextDeltaEvent {
  type: 'text-delta';
  delta: string;
}

export type TagEvent = TextDeltaEvent | TagStartEvent | TagDeltaEvent | TagEndEvent | TagErrorEvent;

/**
 * The stream text an event stands for: a delta's text, `<tag>` for a start, `</tag>` for an end, and
 * `''` for a diagnostic. Concatenated over all events of a stream it gives back the input exactly.
 */
export function tagEventSourceText(event: TagEvent): string {
  switch (event.type) {
    case 'tag-error':
      return '';
    case 'text-delta':
    case 'think-delta':
    case 'search-delta':
    case 'result-delta':
    case 'answer-delta':
      return event.delta;
    case 'think-start':
    case 'search-start':
    case 'result-start':
    case 'answer-start':
      return `<${event.type.slice(0, -'-start'.length)}>`;
    case 'think-end':
    case 'search-end':
    case 'result-end':
    case 'answer-end':
      return `</${event.type.slice(0, -'-end'.length)}>`;
  }
}
