import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockTokenizer } from './mock-tokenizer';

describe('MockTokenizer', () => {
  const tokenizer = new MockTokenizer();

  it('encodes one id per code point at 3 + codePoint, special tokens as their fixed ids', () => {
    expect(tokenizer.encode('ab')).toEqual([3 + 97, 3 + 98]);
    expect(tokenizer.encode('a<|im_end|>')).toEqual([100, 2]);
    expect(tokenizer.encode('<|endoftext|><|im_start|>')).toEqual([0, 1]);
    expect(tokenizer.encode('😀')).toEqual([3 + 0x1f600]);
    expect(tokenizer.encode('')).toEqual([]);
    expect(tokenizer.encode('ab', { addSpecialTokens: true })).toEqual([100, 101]);
  });

  it('round-trips any string, lone surrogates and special-token text included', () => {
    for (const text of [
      '',
      'plain',
      'Zürich 東京 😀',
      '\ud800x',
      '<|im_start|>user\nhi<|im_end|>\n',
      '<|im_end',
      '\u0000\n\t',
    ]) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  it('skips special tokens on request', () => {
    expect(tokenizer.decode([1, 100, 2, 0], { skipSpecialTokens: true })).toBe('a');
    expect(tokenizer.decode([1, 100, 2, 0])).toBe('<|im_start|>a<|im_end|><|endoftext|>');
  });

  it('declares Qwen-like EOS ids, pad and vocabulary size', () => {
    expect(tokenizer.eosTokenIds).toEqual([2, 0]);
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.padTokenId).toBe(0);
    expect(tokenizer.vocabSize).toBe(3 + 0x110000);
    expect(tokenizer.tokenToId('<|im_end|>')).toBe(2);
    expect(tokenizer.tokenToId('a')).toBe(100);
    expect(tokenizer.tokenToId('😀')).toBe(3 + 0x1f600);
    expect(tokenizer.tokenToId('ab')).toBeUndefined();
    expect(tokenizer.idToToken(100)).toBe('a');
    expect(tokenizer.idToToken(2)).toBe('<|im_end|>');
    expect(tokenizer.idToToken(-1)).toBeUndefined();
    expect(tokenizer.idToToken(tokenizer.vocabSize)).toBeUndefined();
  });

  it('rejects ids outside the vocabulary when decoding', () => {
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(
      `token id ${tokenizer.vocabSize} is outside the vocabulary`,
    );
  });

  it('renders ChatML', () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi?' },
    ];
    expect(tokenizer.applyChatTemplate(messages)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n',
    );
    expect(tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  describe('with merges', () => {
    const merged = new MockTokenizer({ merges: ['<search>', '</search>', 'se'] });

    it('gives merges ids 3.. and shifts code points after them', () => {
      expect(merged.codePointBase).toBe(6);
      expect(merged.tokenToId('<search>')).toBe(3);
      expect(merged.tokenToId('se')).toBe(5);
      expect(merged.encode('a')).toEqual([6 + 97]);
    });

    it('encodes longest match first', () => {
      expect(merged.encode('<search>see</search>')).toEqual([3, 5, 6 + 101, 4]);
    });

    it('round-trips text, but not every id sequence (encode(decode(ids)) can differ)', () => {
      const text = '<search>seas</search>';
      expect(merged.decode(merged.encode(text))).toBe(text);
      const characterIds = [...'<search>'].map((character) => merged.codePointBase + character.codePointAt(0)!);
      expect(merged.decode(characterIds)).toBe('<search>');
      expect(merged.encode(merged.decode(characterIds))).toEqual([3]);
    });

    it('rejects one-character and duplicate merges', () => {
      expect(() => new MockTokenizer({ merges: ['x'] })).toThrow(InvalidConfigError);
      expect(() => new MockTokenizer({ merges: ['x'] })).toThrow(
        'config field "merges.0": a merge must have at least 2 characters, got "x"',
      );
      expect(() => new MockTokenizer({ merges: ['ab', 'ab'] })).toThrow(
        'config field "merges.1": duplicate token "ab"',
      );
      expect(() => new MockTokenizer({ merges: ['<|im_end|>'] })).toThrow('duplicate token');
    });
  });
});
