import { describe, expect, it } from 'vitest';
import { TAG_NAMES, tagEventSourceText, type TagEvent } from './tag-event';

describe('tagEventSourceText', () => {
  it.each<[TagEvent, string]>([
    [{ type: 'text-delta', delta: 'hi' }, 'hi'],
    [{ type: 'think-start' }, '<think>'],
    [{ type: 'search-end' }, '</search>'],
    [{ type: 'result-start' }, '<result>'],
    [{ type: 'answer-delta', delta: '\\boxed{x}' }, '\\boxed{x}'],
    [{ type: 'answer-end' }, '</answer>'],
    [{ type: 'tag-error', reason: 'stray-closer', tag: 'think', offset: 0 }, ''],
  ])('%j -> %j', (event, text) => {
    expect(tagEventSourceText(event)).toBe(text);
  });

  it('lists the four tags', () => {
    expect(TAG_NAMES).toEqual(['think', 'search', 'result', 'answer']);
  });
});
