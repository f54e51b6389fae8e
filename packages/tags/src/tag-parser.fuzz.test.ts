import { describe, expect, it } from 'vitest';
import { createRandom, generateRollout, mutateRollout, randomFragmentText } from './__fixtures__/rollouts';
import { parseTags } from './parse-tags';
import { TAG_NAMES, tagEventSourceText, type TagEvent } from './tag-event';
import { createTagParser } from './tag-parser';

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

/** The parser's rules written as a plain character-by-character scan over the whole text (no streaming). */
function referenceEvents(text: string): TagEvent[] {
  const events: TagEvent[] = [];
  let open: (typeof TAG_NAMES)[number] | undefined;
  let openOffset = 0;
  let buffer = '';
  const flushBuffer = () => {
    if (buffer !== '')
      events.push(
        open === undefined
          ? { type: 'text-delta', delta: buffer }
          : ({ type: `${open}-delta`, delta: buffer } as TagEvent),
      );
    buffer = '';
  };
  let index = 0;
  scan: while (index < text.length) {
    if (text[index] === '<') {
      for (const tag of TAG_NAMES) {
        for (const closing of [false, true]) {
          const literal = closing ? `</${tag}>` : `<${tag}>`;
          if (!text.startsWith(literal, index)) continue;
          flushBuffer();
          if (open === undefined && !closing) {
            events.push({ type: `${tag}-start` } as TagEvent);
            open = tag;
            openOffset = index;
          } else if (open === tag && closing) {
            events.push({ type: `${tag}-end` } as TagEvent);
            open = undefined;
          } else {
            events.push({ type: 'tag-error', reason: closing ? 'stray-closer' : 'nested-opener', tag, offset: index });
            buffer = literal;
          }
          index += literal.length;
          continue scan;
        }
      }
    }
    buffer += text[index];
    index += 1;
  }
  flushBuffer();
  if (open !== undefined) events.push({ type: 'tag-error', reason: 'unclosed-tag', tag: open, offset: openOffset });
  return events;
}

function makeInput(index: number, random: () => number): string {
  const kind = index % 5;
  if (kind === 0) return generateRollout(random, 10);
  if (kind === 4) return randomFragmentText(random, 30);
  return mutateRollout(generateRollout(random, 10), random);
}

describe('createTagParser fuzz', () => {
  it('never throws and loses or duplicates no character over 100 000 random and mutated rollouts', () => {
    const random = createRandom(20250323);
    const failures: string[] = [];
    let characters = 0;
    for (let index = 0; index < 100_000 && failures.length < 5; index += 1) {
      const input = makeInput(index, random);
      characters += input.length;
      try {
        // whole string
        const parser = createTagParser();
        const whole = [...parser.push(input), ...parser.flush()];
        if (whole.map(tagEventSourceText).join('') !== input) failures.push(`whole: ${JSON.stringify(input)}`);

        // 1–5 random split points, empty chunks possible
        const cuts = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
          Math.floor(random() * (input.length + 1)),
        ).sort((a, b) => a - b);
        const chunked: TagEvent[] = [];
        let previous = 0;
        for (const cut of [...cuts, input.length]) {
          chunked.push(...parser.push(input.slice(previous, cut)));
          previous = cut;
        }
        chunked.push(...parser.flush());
        if (chunked.map(tagEventSourceText).join('') !== input)
          failures.push(`chunked ${cuts}: ${JSON.stringify(input)}`);
        if (JSON.stringify(mergeDeltas(chunked)) !== JSON.stringify(mergeDeltas(whole))) {
          failures.push(`chunked events differ ${cuts}: ${JSON.stringify(input)}`);
        }

        // segments write back to the input
        const segments = parseTags(input);
        const written = segments
          .map((segment) =>
            segment.kind === 'text'
              ? segment.text
              : `<${segment.kind}>${segment.text}${segment.closed ? `</${segment.kind}>` : ''}`,
          )
          .join('');
        if (written !== input) failures.push(`segments: ${JSON.stringify(input)}`);

        // every 10th input against the plain reference scan
        if (index % 10 === 0 && JSON.stringify(mergeDeltas(whole)) !== JSON.stringify(referenceEvents(input))) {
          failures.push(`reference: ${JSON.stringify(input)}`);
        }
      } catch (error) {
        failures.push(`threw ${String(error)}: ${JSON.stringify(input)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(characters).toBeGreaterThan(10_000_000);
  });
});
