import { describe, expect, it } from 'vitest';
import { findDuplicateJsonKey } from './find-duplicate-json-key';

describe('findDuplicateJsonKey', () => {
  it('finds repeated keys at the top level and inside nested objects', () => {
    expect(findDuplicateJsonKey('{"a":1,"b":2,"a":3}')).toEqual(['a']);
    expect(findDuplicateJsonKey('{"t":{"dtype":"F32","shape":[1],"dtype":"F16"}}')).toEqual(['t', 'dtype']);
    expect(findDuplicateJsonKey('{"x":[{"k":1,"k":2}]}')).toEqual(['x', '*', 'k']);
  });

  it('compares decoded keys, so escapes that spell the same key are duplicates', () => {
    expect(findDuplicateJsonKey('{"ab":1,"\\u0061b":2}')).toEqual(['ab']);
  });

  it('is not fooled by braces, commas, colons and quotes inside strings, or by equal keys in sibling objects', () => {
    expect(findDuplicateJsonKey('{"a":"}{,:\\"a\\"","b":{"a":1},"c":{"a":2}}')).toBeUndefined();
    expect(findDuplicateJsonKey('{"a":["a","a"],"b":"a"}')).toBeUndefined();
    expect(findDuplicateJsonKey('[1,2,{"a":{}}]')).toBeUndefined();
    expect(findDuplicateJsonKey('  {"__metadata__":{"format":"pt"}}    ')).toBeUndefined();
  });
});
