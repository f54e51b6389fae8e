import { describe, expect, it } from 'vitest';
import { isPythonWhitespace, pythonStrip } from './python-strip';

// The code points CPython 3 reports as `str.isspace()`.
const pythonWhitespace = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

describe('isPythonWhitespace', () => {
  it('accepts exactly the code points of Python str.isspace() in the BMP', () => {
    const found: number[] = [];
    for (let code = 0; code <= 0xffff; code += 1) if (isPythonWhitespace(code)) found.push(code);
    expect(found).toEqual(pythonWhitespace);
  });
});

describe('pythonStrip', () => {
  it.each([
    ['  a b  ', 'a b'],
    ['\n\tquery\r\n', 'query'],
    ['', ''],
    ['   ', ''],
    ['\x1cq\x1f', 'q'],
    ['\x85q\x85', 'q'],
    ['\ufeffq\ufeff', '\ufeffq\ufeff'],
    ['\u3000全角\u3000', '全角'],
    ['inner  space', 'inner  space'],
  ])('%j -> %j', (input, expected) => {
    expect(pythonStrip(input)).toBe(expected);
  });

  it('differs from String.prototype.trim exactly where Python does', () => {
    expect('\ufeffx'.trim()).toBe('x');
    expect(pythonStrip('\ufeffx')).toBe('\ufeffx');
    expect('\x85x'.trim()).toBe('\x85x');
    expect(pythonStrip('\x85x')).toBe('x');
  });
});
