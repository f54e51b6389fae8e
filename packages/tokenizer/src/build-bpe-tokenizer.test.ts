import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { buildBpeTokenizer } from './build-bpe-tokenizer';
import { tagTokens } from './built-added-tokens';
import { loadTokenizerFromJson } from './load-tokenizer';

const merges = (json: ReturnType<typeof buildBpeTokenizer>) => json.model.merges as string[];

describe('buildBpeTokenizer: the pair-count algorithm, worked by hand', () => {
  // 'ab ab ab abc' pre-tokenizes to 'ab', 'Ġab' ×2, 'Ġabc'.
  // Pair counts: (a,b) 1+2+1 = 4, (Ġ,a) 3, (b,c) 1  → merge 'a b' (id 256).
  // Then (Ġ,ab) 3, (ab,c) 1                           → merge 'Ġ ab' (id 257).
  // Then (Ġab,c) 1: below minFrequency 2, stop; with minFrequency 1 → merge 'Ġab c' (id 258).
  it('learns the merges in count order and stops at minFrequency', () => {
    const json = buildBpeTokenizer(['ab ab ab abc'], { vocabSize: 1000 });
    expect(merges(json)).toEqual(['a b', 'Ġ ab']);
    expect(json.model.vocab.ab).toBe(256);
    expect(json.model.vocab['Ġab']).toBe(257);
    expect(merges(buildBpeTokenizer(['ab ab ab abc'], { vocabSize: 1000, minFrequency: 1 }))).toEqual([
      'a b',
      'Ġ ab',
      'Ġab c',
    ]);
  });

  it('stops when the vocabulary is full', () => {
    // 256 bytes + 3 required added tokens + 1 merge.
    const json = buildBpeTokenizer(['ab ab ab abc'], { vocabSize: 260 });
    expect(merges(json)).toEqual(['a b']);
    expect(json.added_tokens.map((token) => [token.id, token.content])).toEqual([
      [257, '<|endoftext|>'],
      [258, '<|im_start|>'],
      [259, '<|im_end|>'],
    ]);
  });

  it('breaks ties by the token strings', () => {
    // 'ab cd': (a,b), (Ġ,c), (c,d) all 1; 'a' < 'c' < 'Ġ' (U+0120). After 'c d', (Ġ,cd) is the last pair.
    expect(merges(buildBpeTokenizer(['ab cd'], { vocabSize: 1000, minFrequency: 1 }))).toEqual(['a b', 'c d', 'Ġ cd']);
  });

  it('counts overlapping pairs and merges left to right', () => {
    // 'aaaa': (a,a) occurs 3 times; merging gives [aa, aa], then (aa,aa) once.
    expect(merges(buildBpeTokenizer(['aaaa'], { vocabSize: 1000, minFrequency: 1 }))).toEqual(['a a', 'aa aa']);
  });

  it('weights pairs by how often each word occurs', () => {
    // Words 'pq' ×1, 'Ġpq' ×1, 'xy' ×3: (x,y) 3 beats (p,q) 2 though 'p' sorts first; (Ġ,pq) 1 stops.
    expect(merges(buildBpeTokenizer(['pq pq', 'xy', 'xy', 'xy'], { vocabSize: 1000 }))).toEqual(['x y', 'p q']);
  });

  it('spells multi-byte characters as bytes and can merge them', () => {
    // 'é' is C3 A9 → 'Ã' '©' in the byte-level alphabet. Words 'Ã©' ×1, 'ĠÃ©' ×2: (Ã,©) 3, then (Ġ,Ã©) 2.
    expect(merges(buildBpeTokenizer(['é é é'], { vocabSize: 1000 }))).toEqual(['Ã ©', 'Ġ Ã©']);
  });
});

describe('buildBpeTokenizer: the tokenizer.json', () => {
  const corpus = [
    'Who wrote Hamlet? <think>The question asks for an author.</think>',
    '<search> Hamlet author </search><result>Hamlet is a tragedy by William Shakespeare.</result>',
    '<answer> William Shakespeare </answer><|im_end|>',
    'The quick brown fox jumps over the lazy dog. The dog sleeps.',
  ];
  const json = buildBpeTokenizer(corpus, { vocabSize: 400, tagTokens: true, specialTokens: ['<|pad|>'] });
  const tokenizer = loadTokenizerFromJson({
    tokenizerJson: JSON.parse(JSON.stringify(json)),
    tokenizerConfig: { eos_token: '<|im_end|>' },
  });

  it('numbers tokens densely: bytes, learned tokens, then added tokens', () => {
    const learned = Object.keys(json.model.vocab).length;
    expect(Object.values(json.model.vocab).sort((left, right) => left - right)).toEqual(
      Array.from({ length: learned }, (_, id) => id),
    );
    expect(json.added_tokens.map((token) => token.id)).toEqual(
      Array.from({ length: 12 }, (_, index) => learned + index),
    );
    expect(json.added_tokens.map((token) => token.content)).toEqual([
      '<|endoftext|>',
      '<|im_start|>',
      '<|im_end|>',
      '<|pad|>',
      ...tagTokens,
    ]);
    expect(json.added_tokens.map((token) => token.special)).toEqual([
      true,
      true,
      true,
      true,
      ...tagTokens.map(() => false),
    ]);
    expect(tokenizer.vocabSize).toBe(learned + 12);
  });

  it('lists only merges whose parts and result are in the vocabulary', () => {
    for (const merge of merges(json)) {
      const [left, right] = merge.split(' ') as [string, string];
      expect(json.model.vocab[left], merge).toBeDefined();
      expect(json.model.vocab[right], merge).toBeDefined();
      expect(json.model.vocab[left + right], merge).toBeDefined();
    }
  });

  it('never learns the added tokens from the corpus', () => {
    for (const token of ['<|im_end|>', ...tagTokens]) expect(json.model.vocab[token]).toBeUndefined();
  });

  it('round-trips the corpus and unseen text through @huggingface/tokenizers', () => {
    for (const text of [...corpus, 'Unseen: naïve café 你好 🤗\u0000\t\r\n  end', 'e\u0301 (not normalized)']) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
  });

  it('encodes tags and specials as single ids and compresses seen words', () => {
    const ids = tokenizer.encode('<think>x</think><|im_end|>');
    expect(ids).toEqual([
      tokenizer.tokenToId('<think>'),
      'x'.charCodeAt(0),
      tokenizer.tokenToId('</think>'),
      tokenizer.tokenToId('<|im_end|>'),
    ]);
    expect(tokenizer.encode(' Shakespeare').length).toBeLessThan(' Shakespeare'.length);
  });

  it('encodes a worked example to the learned ids', () => {
    const small = loadTokenizerFromJson({ tokenizerJson: buildBpeTokenizer(['ab ab ab abc'], { vocabSize: 1000 }) });
    // 'ab' 256, 'Ġab' 257 ×3, then the byte 'c' (99).
    expect(small.encode('ab ab ab abc')).toEqual([256, 257, 257, 257, 99]);
  });
});

describe('buildBpeTokenizer: options', () => {
  it.each([
    [
      { vocabSize: 258 },
      'config field "vocabSize": must be an integer >= 259 (256 byte tokens + 3 added tokens), got 258',
    ],
    [
      { vocabSize: 300.5 },
      'config field "vocabSize": must be an integer >= 259 (256 byte tokens + 3 added tokens), got 300.5',
    ],
    [
      { vocabSize: 266, tagTokens: true },
      'config field "vocabSize": must be an integer >= 267 (256 byte tokens + 11 added tokens), got 266',
    ],
    [{ vocabSize: 300, minFrequency: 0 }, 'config field "minFrequency": must be an integer >= 1, got 0'],
  ])('%j is rejected', (options, message) => {
    expect(() => buildBpeTokenizer(['text'], options)).toThrow(InvalidConfigError);
    expect(() => buildBpeTokenizer(['text'], options)).toThrow(message);
  });

  it('accepts the smallest vocabulary: bytes and added tokens, no merges', () => {
    const json = buildBpeTokenizer(['aaaa aaaa'], { vocabSize: 259 });
    expect(merges(json)).toEqual([]);
    expect(loadTokenizerFromJson({ tokenizerJson: json }).encode('aa')).toEqual([97, 97]);
  });
});

/** The textbook algorithm, recounting every pair each round: the reference for the heap version. */
function naiveMerges(words: Map<string, number>, maxMerges: number, minFrequency: number): string[] {
  const segmented = [...words].map(([word, count]) => ({ symbols: Array.from(word), count }));
  const known = new Set(segmented.flatMap((word) => word.symbols));
  const result: string[] = [];
  while (result.length < maxMerges) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of segmented) {
      for (let index = 0; index + 1 < symbols.length; index++) {
        const key = JSON.stringify([symbols[index], symbols[index + 1]]);
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    let best: [string, string] | undefined;
    let bestCount = 0;
    for (const [key, count] of counts) {
      const pair = JSON.parse(key) as [string, string];
      const better =
        count > bestCount ||
        (count === bestCount &&
          best !== undefined &&
          (pair[0] < best[0] || (pair[0] === best[0] && pair[1] < best[1])));
      if (better) [best, bestCount] = [pair, count];
    }
    if (best === undefined || bestCount < minFrequency) break;
    result.push(`${best[0]} ${best[1]}`);
    known.add(best[0] + best[1]);
    for (const word of segmented) {
      const merged: string[] = [];
      for (let index = 0; index < word.symbols.length; index++) {
        if (word.symbols[index] === best[0] && word.symbols[index + 1] === best[1]) {
          merged.push(best[0] + best[1]);
          index++;
        } else merged.push(word.symbols[index]!);
      }
      word.symbols = merged;
    }
  }
  return result;
}

describe('buildBpeTokenizer agrees with the textbook algorithm', () => {
  it('on a generated corpus with repeated words, digits, punctuation and non-Latin text', () => {
    // A deterministic pseudo-random corpus (linear congruential generator).
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const syllables = ['ka', 'ri', 'to', 'sen', 'mo', 'la', 'qu', 'é', '你', 'ß', '42', '-', "'s", '!'];
    const texts: string[] = [];
    for (let line = 0; line < 60; line++) {
      const words: string[] = [];
      for (let word = 0; word < 12; word++) {
        let text = '';
        const length = 1 + Math.floor(next() * 3);
        for (let part = 0; part < length; part++) text += syllables[Math.floor(next() * syllables.length)];
        words.push(text);
      }
      texts.push(words.join(next() < 0.2 ? '  ' : ' '));
    }
    // The same word counts the builder derives: GPT-2 pattern, byte-level spelling.
    const json = buildBpeTokenizer(texts, { vocabSize: 259 + 150, minFrequency: 2 });
    const tokenizer = loadTokenizerFromJson({ tokenizerJson: json });
    const words = new Map<string, number>();
    for (const text of texts) {
      for (const match of text.matchAll(
        /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
      )) {
        const spelled = [...new TextEncoder().encode(match[0])].map((byte) => tokenizer.idToToken(byte)!).join('');
        words.set(spelled, (words.get(spelled) ?? 0) + 1);
      }
    }
    const expected = naiveMerges(words, 150, 2);
    expect(expected.length).toBeGreaterThan(100);
    expect(merges(json)).toEqual(expected);
  });
});
