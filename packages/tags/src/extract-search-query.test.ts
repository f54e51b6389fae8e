import { describe, expect, it } from 'vitest';
import { extractSearchQuery } from './extract-search-query';

describe('extractSearchQuery', () => {
  it.each([
    ['<think>x</think> <search> capital of France </search>', 'capital of France'],
    ['<search>a</search><result>r</result><search>\n second \t</search>', 'second'],
    // the last <search> before the last </search>, even if an earlier one was never closed
    ['<search>first <search>inner</search>', 'inner'],
    // a <search> after the last </search> is ignored
    ['<search>q</search> <search>unfinished', 'q'],
    ['<search></search>', ''],
    ['<search>  \n </search>', ''],
    // Python whitespace: NEL stripped, BOM kept
    ['<search>\x85q\ufeff</search>', 'q\ufeff'],
    ['<search>a </search> b </search>', 'a </search> b'],
  ])('%j -> %j', (text, query) => {
    expect(extractSearchQuery(text)).toBe(query);
  });

  it.each([
    ['no tags at all', 'plain text'],
    ['no closer', '<search>query'],
    ['closer without opener', 'query</search>'],
    ['opener only after the last closer', '</search><search>q'],
    ['empty', ''],
  ])('%s -> undefined', (_name, text) => {
    expect(extractSearchQuery(text)).toBeUndefined();
  });
});
