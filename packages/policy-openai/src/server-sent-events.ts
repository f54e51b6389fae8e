/** One dispatched server-sent event: its `event:` type (default `message`) and its `data:` lines joined by `\n`. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * An incremental parser of a `text/event-stream` body (the WHATWG HTML "event stream interpretation"):
 * lines end in `\n`, `\r\n` or `\r`; a blank line dispatches the event; `data:` lines accumulate;
 * a leading space after the colon is dropped; `:` lines are comments; `id:`/`retry:` are ignored.
 * Chunks may be cut anywhere, even between `\r` and `\n`: `push` returns only complete events and holds
 * back the rest; `flush` ends the stream (an event without its blank line is dropped, as the standard says).
 */
export interface ServerSentEventParser {
  push(chunk: string): ServerSentEvent[];
  flush(): ServerSentEvent[];
}

export function createServerSentEventParser(): ServerSentEventParser {
  let buffer = '';
  let dataLines: string[] = [];
  let eventType = '';
  let sawData = false;
  let firstChunk = true;

  const takeLine = (line: string, events: ServerSentEvent[]) => {
    if (line === '') {
      if (sawData) events.push({ event: eventType === '' ? 'message' : eventType, data: dataLines.join('\n') });
      dataLines = [];
      eventType = '';
      sawData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      dataLines.push(value);
      sawData = true;
    } else if (field === 'event') {
      eventType = value;
    }
  };

  const drain = (final: boolean): ServerSentEvent[] => {
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let index = 0; index < buffer.length; index += 1) {
      const code = buffer.charCodeAt(index);
      if (code === 10) {
        takeLine(buffer.slice(start, index), events);
        start = index + 1;
      } else if (code === 13) {
        // A `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
        if (index === buffer.length - 1 && !final) break;
        takeLine(buffer.slice(start, index), events);
        if (buffer.charCodeAt(index + 1) === 10) index += 1;
        start = index + 1;
      }
    }
    buffer = buffer.slice(start);
    return events;
  };

  return {
    push(chunk) {
      if (firstChunk && chunk.length > 0) {
        firstChunk = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      buffer += chunk;
      return drain(false);
    },
    flush() {
      const events = drain(true);
      buffer = '';
      dataLines = [];
      eventType = '';
      sawData = false;
      return events;
    },
  };
}
