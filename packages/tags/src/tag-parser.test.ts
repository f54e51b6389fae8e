import { describe, expect, it } from 'vitest';
import { createRandom, generateRollout, sampleRollouts } from './__fixtures__/rollouts';
import { tagEventSourceText, type TagEvent } from './tag-event';
import { createTagParser } from './tag-parser';

function parseChunks(chunks: readonly string[]): TagEvent[] {
  const parser = createTagParser();
  const events: TagEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.flush());
  return events;
}

/** Merges adjacent deltas of the same type: how deltas are cut into pieces is not part of the contract. */
function mergeDeltas(events: readonly TagEvent[]): TagEvent[] {
  const merged: TagEvent[] = [];
  for (const event of events) {
    const last = merged[merged.length - 1];
    if ('delta' in event && last !== undefined && last.type === event.type && 'delta' in last) {
      merged[merged.length - 1] = { ...last, delta: last.delta + event.delta };
    } else {
      merged.push(event);
    }
  }
  return merged;
}

describe('createTagParser: events', () => {
  it('parses a well-formed rollout into noun-verb events', () => {
    expect(
      parseChunks(['<think> a </think> <search> q </search> <result>\nr\n</result><answer>\\boxed{x}</answer>']),
    ).toEqual([
      { type: 'think-start' },
      { type: 'think-delta', delta: ' a ' },
      { type: 'think-end' },
      { type: 'text-delta', delta: ' ' },
      { type: 'search-start' },
      { type: 'search-delta', delta: ' q ' },
      { type: 'search-end' },
      { type: 'text-delta', delta: ' ' },
      { type: 'result-start' },
      { type: 'result-delta', delta: '\nr\n' },
      { type: 'result-end' },
      { type: 'answer-start' },
      { type: 'answer-delta', delta: '\\boxed{x}' },
      { type: 'answer-end' },
    ]);
  });

  it('emits no empty deltas', () => {
    expect(parseChunks(['<think></think>', ''])).toEqual([{ type: 'think-start' }, { type: 'think-end' }]);
    expect(parseChunks([])).toEqual([]);
  });

  it('treats unknown and near-miss tags as text without diagnostics', () => {
    const input = 'a < b <foo> </foo> <Think> <thinking> <search >';
    expect(parseChunks([input])).toEqual([{ type: 'text-delta', delta: input }]);
  });

  it('reports a stray closer outside any tag and keeps its literal as text', () => {
    expect(parseChunks(['ab</search>cd'])).toEqual([
      { type: 'text-delta', delta: 'ab' },
      { type: 'tag-error', reason: 'stray-closer', tag: 'search', offset: 2 },
      { type: 'text-delta', delta: '</search>cd' },
    ]);
  });

  it('does not nest: an opener inside a tag is content, after a nested-opener diagnostic', () => {
    expect(parseChunks(['<think>x<search>q</search>y</think>'])).toEqual([
      { type: 'think-start' },
      { type: 'think-delta', delta: 'x' },
      { type: 'tag-error', reason: 'nested-opener', tag: 'search', offset: 8 },
      { type: 'think-delta', delta: '<search>q' },
      { type: 'tag-error', reason: 'stray-closer', tag: 'search', offset: 17 },
      { type: 'think-delta', delta: '</search>y' },
      { type: 'think-end' },
    ]);
  });

  it('reports a doubled opener as nested and the extra closer as stray', () => {
    expect(parseChunks(['<think><think>x</think></think>'])).toEqual([
      { type: 'think-start' },
      { type: 'tag-error', reason: 'nested-opener', tag: 'think', offset: 7 },
      { type: 'think-delta', delta: '<think>x' },
      { type: 'think-end' },
      { type: 'tag-error', reason: 'stray-closer', tag: 'think', offset: 23 },
      { type: 'text-delta', delta: '</think>' },
    ]);
  });

  it('reports an unclosed tag at flush, with the offset of its opener, and emits no end', () => {
    const parser = createTagParser();
    expect(parser.push('ok <answer>\\boxed{1')).toEqual([
      { type: 'text-delta', delta: 'ok ' },
      { type: 'answer-start' },
      { type: 'answer-delta', delta: '\\boxed{1' },
    ]);
    expect(parser.flush()).toEqual([{ type: 'tag-error', reason: 'unclosed-tag', tag: 'answer', offset: 3 }]);
  });

  it('counts offsets across chunks', () => {
    const events = parseChunks(['0123', '45</res', 'ult>']);
    expect(events).toContainEqual({ type: 'tag-error', reason: 'stray-closer', tag: 'result', offset: 6 });
  });

  it('is reset by flush and parses a new stream', () => {
    const parser = createTagParser();
    parser.push('<think>abc');
    parser.flush();
    expect(parser.push('</think>x')).toEqual([
      { type: 'tag-error', reason: 'stray-closer', tag: 'think', offset: 0 },
      { type: 'text-delta', delta: '</think>x' },
    ]);
  });
});

describe('createTagParser: holding back partial tags', () => {
  it('holds back a possible tag prefix and never emits it as text until decided', () => {
    const parser = createTagParser();
    expect(parser.push('abc <sea')).toEqual([{ type: 'text-delta', delta: 'abc ' }]);
    expect(parser.push('rch> q')).toEqual([{ type: 'search-start' }, { type: 'search-delta', delta: ' q' }]);
    expect(parser.push(' </')).toEqual([{ type: 'search-delta', delta: ' ' }]);
    expect(parser.push('sear')).toEqual([]);
    expect(parser.push('ch>')).toEqual([{ type: 'search-end' }]);
    expect(parser.flush()).toEqual([]);
  });

  it.each(['<', '</', '<t', '<thin', '<think', '</answer', '<r', '</resu'])('holds back %j', (tail) => {
    const parser = createTagParser();
    expect(parser.push(`x${tail}`)).toEqual([{ type: 'text-delta', delta: 'x' }]);
    expect(parser.flush()).toEqual([{ type: 'text-delta', delta: tail }]);
  });

  it.each(['<b', '<thinK', '</x', '<searc h', '<<', 'x<'])('emits %j once it cannot be a tag', (tail) => {
    const events = createTagParser().push(`${tail}!`);
    expect(mergeDeltas(events)).toEqual([{ type: 'text-delta', delta: `${tail}!` }]);
  });

  it('releases the held text when the next chunk disambiguates it', () => {
    const parser = createTagParser();
    expect(parser.push('<thin')).toEqual([]);
    expect(parser.push('king>')).toEqual([{ type: 'text-delta', delta: '<thinking>' }]);
  });

  it('flushes a held partial inside an open tag as that tag’s content', () => {
    const parser = createTagParser();
    parser.push('<think>a </thi');
    expect(parser.flush()).toEqual([
      { type: 'think-delta', delta: '</thi' },
      { type: 'tag-error', reason: 'unclosed-tag', tag: 'think', offset: 0 },
    ]);
  });
});

describe('createTagParser: chunk boundaries', () => {
  const random = createRandom(7);
  const rollouts = [...sampleRollouts, ...Array.from({ length: 6 }, () => generateRollout(random, 6))];

  it('gives the same events for every single split point of every rollout', () => {
    for (const rollout of rollouts) {
      const expected = mergeDeltas(parseChunks([rollout]));
      for (let split = 0; split <= rollout.length; split += 1) {
        const events = parseChunks([rollout.slice(0, split), rollout.slice(split)]);
        expect(mergeDeltas(events), `split at ${split} of ${JSON.stringify(rollout)}`).toEqual(expected);
      }
    }
  });

  it('gives the same events one character at a time', () => {
    for (const rollout of rollouts) {
      expect(mergeDeltas(parseChunks([...rollout.split('')]))).toEqual(mergeDeltas(parseChunks([rollout])));
    }
  });

  it('gives the same events for random multi-splits, empty chunks included', () => {
    const splitRandom = createRandom(99);
    for (const rollout of rollouts) {
      const expected = mergeDeltas(parseChunks([rollout]));
      for (let trial = 0; trial < 200; trial += 1) {
        const chunks: string[] = [];
        let position = 0;
        while (position < rollout.length) {
          const length = Math.floor(splitRandom() * 12); // 0 gives an empty chunk
          chunks.push(rollout.slice(position, position + length));
          position += length;
        }
        const events = parseChunks(chunks);
        expect(mergeDeltas(events)).toEqual(expected);
        expect(events.map(tagEventSourceText).join('')).toBe(rollout);
      }
    }
  });
});
