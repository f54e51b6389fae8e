import type { Tokenizer } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { buildBpeTokenizer } from './build-bpe-tokenizer';
import { createStreamingDecoder } from './create-streaming-decoder';
import { loadTokenizerFromJson } from './load-tokenizer';

// A tiny byte-level BPE trained on ASCII only: every non-ASCII character is spread over 2-4 byte tokens.
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildBpeTokenizer(
    ['the search result is the answer to the question', 'think then search then answer'],
    { vocabSize: 320, tagTokens: true },
  ),
});

function stream(ids: readonly number[], decoder = createStreamingDecoder(tokenizer)): string[] {
  const chunks = ids.map((id) => decoder.push(id));
  chunks.push(decoder.flush());
  return chunks;
}

const texts = [
  'the answer',
  'café naïve façade', // 2-byte characters
  '你好，世界。日本語', // 3-byte characters
  '🤗 👍🏽 👨‍👩‍👧‍👦 🇫🇷', // 4-byte characters, ZWJ sequences, modifiers, flags
  'q\u0307 x\u0323\u0302 e\u0301 n\u0303', // combining marks (no normalizer: kept as is)
  '<think>reason 🤔</think><search>Ünïcödé</search><|im_end|>',
  '\u0000\t\r\n  ',
];

describe('createStreamingDecoder', () => {
  it.each(texts)('concatenates to decode(ids) for %j, never emitting U+FFFD', (text) => {
    const ids = tokenizer.encode(text);
    const chunks = stream(ids);
    expect(chunks.join('')).toBe(tokenizer.decode(ids));
    expect(chunks.join('')).toBe(text);
    for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
  });

  it('concatenates to decode(ids) for 300 generated strings mixing 1- to 4-byte characters and marks', () => {
    const pool = [
      'a',
      'e',
      ' ',
      '\n',
      'the',
      'é',
      'ß',
      '\u0301',
      '\u0323',
      '中',
      '文',
      'ア',
      '한',
      '€',
      '🤗',
      '👍🏽',
      '👨‍👩‍👧',
      '🇫🇷',
      '<think>',
      '<|im_end|>',
    ];
    let state = 99;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let sample = 0; sample < 300; sample++) {
      let text = '';
      const length = 1 + Math.floor(next() * 12);
      for (let index = 0; index < length; index++) text += pool[Math.floor(next() * pool.length)];
      const ids = tokenizer.encode(text);
      const chunks = stream(ids);
      expect(chunks.join(''), JSON.stringify(text)).toBe(text);
      for (const chunk of chunks) expect(chunk, JSON.stringify(text)).not.toContain('\uFFFD');
    }
  });

  it('emits a 4-byte character only with its last byte', () => {
    const ids = tokenizer.encode('a🤗');
    expect(ids).toEqual([0x61, 0xf0, 0x9f, 0xa4, 0x97]); // one token per byte: the corpus never merged them
    expect(stream(ids)).toEqual(['a', '', '', '', '🤗', '']);
  });

  it('flush returns a trailing partial character as U+FFFD, as decode does, then starts afresh', () => {
    const decoder = createStreamingDecoder(tokenizer);
    expect([decoder.push(0x61), decoder.push(0xf0), decoder.push(0x9f)]).toEqual(['a', '', '']);
    expect(decoder.flush()).toBe('\uFFFD');
    expect(tokenizer.decode([0x61, 0xf0, 0x9f])).toBe('a\uFFFD');
    expect([decoder.push(0x62), decoder.flush()]).toEqual(['b', '']);
  });

  it('passes a literal U+FFFD through once a later token follows it', () => {
    const ids = tokenizer.encode('x\uFFFDy');
    const chunks = stream(ids);
    expect(chunks.join('')).toBe('x\uFFFDy');
  });

  it('skipSpecialTokens drops special tokens from the stream', () => {
    const ids = tokenizer.encode('<|im_start|>assistant\nok<|im_end|>');
    const chunks = stream(ids, createStreamingDecoder(tokenizer, { skipSpecialTokens: true }));
    expect(chunks.join('')).toBe('assistant\nok');
    expect(chunks.join('')).toBe(tokenizer.decode(ids, { skipSpecialTokens: true }));
  });

  it('keeps the context a decoder needs: a SentencePiece-style decoder that drops the leading space', () => {
    // Tokens are pieces with '▁' for a space; decoding strips the space at the very start of the text,
    // so decoding each token alone would lose every space between words.
    const pieces = ['▁Hello', '▁wor', 'ld', '▁again', '!'];
    const metaspace: Pick<Tokenizer, 'decode'> = {
      decode: (ids) =>
        ids
          .map((id) => pieces[id]!)
          .join('')
          .replaceAll('▁', ' ')
          .replace(/^ /, ''),
    };
    const ids = [0, 1, 2, 3, 4];
    const chunks = stream(ids, createStreamingDecoder(metaspace));
    expect(chunks).toEqual(['Hello', ' wor', 'ld', ' again', '!', '']);
    expect(chunks.join('')).toBe(metaspace.decode(ids));
  });

  it('rejects a bad id without losing the stream', () => {
    const decoder = createStreamingDecoder(tokenizer);
    expect(decoder.push(0xc3)).toBe('');
    expect(() => decoder.push(-1)).toThrow('token id at index 1 must be a non-negative integer, got -1');
    expect(decoder.push(0xa9)).toBe('é');
  });

  it('returns nothing for an empty stream', () => {
    expect(createStreamingDecoder(tokenizer).flush()).toBe('');
  });
});
