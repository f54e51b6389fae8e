import { splitWorldWords } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { boxedOpenToken, buildWorldTokenizer } from './build-world-tokenizer';
import { loadTokenizerFromJson } from './load-tokenizer';

const passages = [
  '"Vorshuk"\nVorshuk is a company. Vorshuk is based in Multom. Vorshuk was founded by Brudu.',
  '"Brudu Tonouth"\nBrudu Tonouth is a person. Brudu Tonouth was born in Multom.',
  '"Multom"\nMultom is a city.',
];
const texts = [...passages, 'Which city is Vorshuk based in?', 'Multom'];
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildWorldTokenizer(texts),
  tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
});

describe('buildWorldTokenizer', () => {
  it.each(passages)('splits punctuation off words and decodes with single spaces: %j', (passage) => {
    const ids = tokenizer.encode(passage, { addSpecialTokens: false });
    expect(tokenizer.decode(ids)).toBe(splitWorldWords(passage).join(' '));
    expect(ids).not.toContain(tokenizer.tokenToId('<unk>'));
  });

  it('keeps the tags and \\boxed{ whole', () => {
    const answer = `<think> </think> <answer> \\boxed{Vorshuk} </answer><|im_end|>`;
    const answerIds = tokenizer.encode(answer, { addSpecialTokens: false });
    expect(answerIds.map((id) => tokenizer.idToToken(id))).toEqual([
      '<think>',
      '</think>',
      '<answer>',
      boxedOpenToken,
      'Vorshuk',
      '}',
      '</answer>',
      '<|im_end|>',
    ]);
  });

  it("covers the compact prompt's words besides the corpus", () => {
    const prompt = 'User: Which city is Vorshuk based in? Assistant: The final answer is Multom';
    expect(tokenizer.encode(prompt, { addSpecialTokens: false })).not.toContain(tokenizer.tokenToId('<unk>'));
  });

  it('has one id per distinct word, tag and special token: small enough for a tiny model', () => {
    expect(tokenizer.vocabSize).toBeLessThan(80);
  });
});
