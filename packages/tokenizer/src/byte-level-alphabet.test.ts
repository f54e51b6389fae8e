import { describe, expect, it } from 'vitest';
import { byteToCharacter, characterToByte, toByteLevel } from './byte-level-alphabet';

describe('byte-level alphabet', () => {
  it('maps printable Latin-1 bytes to themselves and the rest upward from U+0100', () => {
    expect(byteToCharacter[0x41]).toBe('A');
    expect(byteToCharacter[0x21]).toBe('!');
    expect(byteToCharacter[0xe9]).toBe('é');
    // Non-printable bytes in order: 0x00..0x20 are the first 33, so 0x00 → U+0100, 0x0A → U+010A, 0x20 → U+0120.
    expect(byteToCharacter[0x00]).toBe('\u0100');
    expect(byteToCharacter[0x0a]).toBe('Ċ');
    expect(byteToCharacter[0x20]).toBe('Ġ');
    // After 0x00..0x20 (33) come 0x7F..0xA0 (34 more), then 0xAD: the 68th, U+0143.
    expect(byteToCharacter[0x7f]).toBe('\u0121');
    expect(byteToCharacter[0xa0]).toBe('\u0142');
    expect(byteToCharacter[0xad]).toBe('\u0143');
  });

  it('is a bijection over 256 distinct characters', () => {
    expect(new Set(byteToCharacter).size).toBe(256);
    for (let byte = 0; byte < 256; byte++) expect(characterToByte(byteToCharacter[byte]!)).toBe(byte);
    expect(characterToByte('\u0144')).toBeUndefined();
  });

  it('spells UTF-8 bytes', () => {
    expect(toByteLevel(' hé')).toBe('ĠhÃ©');
    expect(toByteLevel('a\nb')).toBe('aĊb');
    expect(toByteLevel('')).toBe('');
  });
});
