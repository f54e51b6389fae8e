import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { completeUtf8Length, firstInvalidUtf8Offset } from './utf8';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('completeUtf8Length', () => {
  it.each([
    [bytes(), 0],
    [bytes(0x61, 0x62), 2],
    [bytes(0x61, 0xc3), 1], // é cut after its lead byte
    [bytes(0x61, 0xc3, 0xa9), 3],
    [bytes(0x61, 0xe2, 0x82), 1], // € cut after 2 of 3 bytes
    [bytes(0xe2, 0x82, 0xac), 3],
    [bytes(0x61, 0xf0, 0x9d, 0x84), 1], // 𝄞 cut after 3 of 4 bytes
    [bytes(0xf0, 0x9d, 0x84, 0x9e), 4],
    [bytes(0x80, 0x80, 0x80, 0x80), 4], // only continuation bytes: left for the validator
  ])('%j → %i', (input, expected) => {
    expect(completeUtf8Length(input)).toBe(expected);
  });
});

describe('firstInvalidUtf8Offset', () => {
  it.each([
    [bytes(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9d, 0x84, 0x9e), -1],
    [bytes(0x61, 0xff), 1],
    [bytes(0x61, 0x80), 1], // stray continuation byte
    [bytes(0xc0, 0xaf), 0], // overlong '/'
    [bytes(0xe0, 0x80, 0xaf), 0], // overlong
    [bytes(0xed, 0xa0, 0x80), 0], // UTF-16 surrogate U+D800
    [bytes(0xf4, 0x90, 0x80, 0x80), 0], // above U+10FFFF
    [bytes(0x61, 0x62, 0xe2, 0x82), 2], // truncated at the end
    [bytes(0xe2, 0x28, 0xa1), 0], // bad continuation
  ])('%j → %i, agreeing with buffer.isUtf8', (input, expected) => {
    expect(firstInvalidUtf8Offset(input)).toBe(expected);
    expect(isUtf8(input)).toBe(expected === -1);
  });
});
