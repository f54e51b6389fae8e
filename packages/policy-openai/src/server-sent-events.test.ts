import { describe, expect, it } from 'vitest';
import { createServerSentEventParser, type ServerSentEvent } from './server-sent-events';

function parseWhole(text: string): ServerSentEvent[] {
  const parser = createServerSentEventParser();
  return [...parser.push(text), ...parser.flush()];
}

function parseSplitAt(text: string, cuts: readonly number[]): ServerSentEvent[] {
  const parser = createServerSentEventParser();
  const events: ServerSentEvent[] = [];
  let previous = 0;
  for (const cut of [...cuts, text.length]) {
    events.push(...parser.push(text.slice(previous, cut)));
    previous = cut;
  }
  return [...events, ...parser.flush()];
}

const vllmStream =
  'data: {"choices":[{"index":0,"text":"Hel"}]}\n\n' +
  'data: {"choices":[{"index":0,"text":"lo"}]}\n\n' +
  'data: [DONE]\n\n';

describe('createServerSentEventParser', () => {
  it('reads a vLLM-style stream into its data payloads', () => {
    expect(parseWhole(vllmStream)).toEqual([
      { event: 'message', data: '{"choices":[{"index":0,"text":"Hel"}]}' },
      { event: 'message', data: '{"choices":[{"index":0,"text":"lo"}]}' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('gives the same events for every single cut of the stream', () => {
    const expected = parseWhole(vllmStream);
    for (let cut = 0; cut <= vllmStream.length; cut += 1) {
      expect(parseSplitAt(vllmStream, [cut]), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('gives the same events when fed one character at a time, with CRLF line ends', () => {
    const crlf = vllmStream.replaceAll('\n', '\r\n');
    const cuts = Array.from({ length: crlf.length }, (_, index) => index);
    expect(parseSplitAt(crlf, cuts)).toEqual(parseWhole(vllmStream));
  });

  it('treats a lone CR as a line end, also when it ends a chunk and the stream', () => {
    expect(parseSplitAt('data: a\r\rdata: b\r', [8])).toEqual([{ event: 'message', data: 'a' }]);
    expect(parseSplitAt('data: a\r\r', [8])).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('joins multi-line data, keeps the event type, skips comments and unknown fields', () => {
    const text = ': ping\nevent: update\nid: 7\nretry: 10\ndata: line one\ndata:line two\ndata\n\n';
    expect(parseWhole(text)).toEqual([{ event: 'update', data: 'line one\nline two\n' }]);
  });

  it('drops only one leading space of a value and keeps colons inside it', () => {
    expect(parseWhole('data:  two spaces: yes\n\n')).toEqual([{ event: 'message', data: ' two spaces: yes' }]);
  });

  it('ignores blank lines without data and an unterminated last event', () => {
    expect(parseWhole('\n\nevent: x\n\ndata: kept\n\ndata: lost')).toEqual([{ event: 'message', data: 'kept' }]);
  });

  it('strips a byte-order mark at the start of the stream only', () => {
    expect(parseWhole('\uFEFFdata: a\n\n')).toEqual([{ event: 'message', data: 'a' }]);
    expect(parseSplitAt('data: \uFEFFa\n\n', [0])).toEqual([{ event: 'message', data: '\uFEFFa' }]);
  });

  it('keeps multi-byte text intact across chunks (the caller decodes bytes with a streaming TextDecoder)', () => {
    const bytes = new TextEncoder().encode('data: {"text":"é😀"}\n\n');
    const decoder = new TextDecoder();
    const parser = createServerSentEventParser();
    const events: ServerSentEvent[] = [];
    for (const byte of bytes) events.push(...parser.push(decoder.decode(new Uint8Array([byte]), { stream: true })));
    events.push(...parser.push(decoder.decode()), ...parser.flush());
    expect(events).toEqual([{ event: 'message', data: '{"text":"é😀"}' }]);
  });
});
