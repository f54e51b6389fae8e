import type { Tokenizer } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { MockTokenizer } from './mock-tokenizer';
import {
  tokenizerConformanceTags,
  runTokenizerConformance,
  tokenizerConformanceChecks,
  tokenizerConformanceSamples,
  type TokenizerConformanceContext,
} from './run-tokenizer-conformance';

runTokenizerConformance({ name: 'MockTokenizer', createTokenizer: () => new MockTokenizer() });

runTokenizerConformance({
  name: 'MockTokenizer (tags and " the" as merges)',
  createTokenizer: () => new MockTokenizer({ merges: [...tokenizerConformanceTags, ' the'] }),
});

/** A MockTokenizer with some members replaced, to break one rule. */
function broken(overrides: Partial<Tokenizer>, base: Tokenizer = new MockTokenizer()): Tokenizer {
  return {
    specificationVersion: base.specificationVersion,
    vocabSize: base.vocabSize,
    eosTokenIds: base.eosTokenIds,
    eosToken: base.eosToken,
    padTokenId: base.padTokenId,
    encode: (text, options) => base.encode(text, options),
    decode: (ids, options) => base.decode(ids, options),
    tokenToId: (token) => base.tokenToId(token),
    idToToken: (id) => base.idToToken(id),
    applyChatTemplate: (messages, options) => base.applyChatTemplate(messages, options),
    ...overrides,
  };
}

const context: TokenizerConformanceContext = {
  samples: tokenizerConformanceSamples,
  chatTemplate: true,
  createTokenizer: () => new MockTokenizer(),
};

function check(name: string) {
  const found = tokenizerConformanceChecks.find((candidate) => candidate.name.startsWith(name));
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

describe('tokenizerConformanceSamples', () => {
  it('are in NFC and cover CJK, emoji, combining marks, whitespace runs, newlines and the empty string', () => {
    for (const sample of tokenizerConformanceSamples) expect(sample.normalize('NFC')).toBe(sample);
    const all = tokenizerConformanceSamples.join('');
    for (const part of [
      '東京',
      '👩‍👩‍👧',
      'x\u0301',
      '\t\t',
      '   ',
      '\r\n',
      '\n\n\n',
      '<|im_end|>',
      ...tokenizerConformanceTags,
    ]) {
      expect(all).toContain(part);
    }
    expect(tokenizerConformanceSamples).toContain('');
  });
});

describe('tokenizerConformanceChecks', () => {
  it('all pass on MockTokenizer', async () => {
    const tokenizer = new MockTokenizer();
    for (const candidate of tokenizerConformanceChecks) await candidate.run(tokenizer, context);
  });

  it('fail a tokenizer of another specification version or with an EOS id outside the vocabulary', async () => {
    const v2 = broken({ specificationVersion: 'v2' as 'v1' });
    await expect(async () => check('declares specificationVersion').run(v2, context)).rejects.toThrow();
    const outside = broken({ eosTokenIds: [2, 1 << 30] });
    await expect(async () => check('declares specificationVersion').run(outside, context)).rejects.toThrow(
      'eosTokenIds',
    );
  });

  it('fail a decode that loses whitespace', async () => {
    const base = new MockTokenizer();
    const trimming = broken({ decode: (ids, options) => base.decode(ids, options).trim() }, base);
    await expect(async () => check('round-trips every sample').run(trimming, context)).rejects.toThrow('round trip');
  });

  it('fail ids outside [0, vocabSize)', async () => {
    const small = broken({ vocabSize: 1000 });
    await expect(async () => check('encodes to integer ids').run(small, context)).rejects.toThrow(
      'ids outside [0, vocabSize)',
    );
  });

  it('fail an encode that adds an EOS to the empty string', async () => {
    const base = new MockTokenizer();
    const eosAlways = broken({ encode: (text, options) => [...base.encode(text, options), 2] }, base);
    await expect(async () => check('encodes the empty string').run(eosAlways, context)).rejects.toThrow();
  });

  it('fail an eosToken that is not an EOS id, and a decode that ignores skipSpecialTokens', async () => {
    const wrongEos = broken({ eosTokenIds: [0] });
    await expect(async () => check('EOS:').run(wrongEos, context)).rejects.toThrow('is not in eosTokenIds');
    const base = new MockTokenizer();
    const keepsSpecials = broken({ decode: (ids) => base.decode(ids) }, base);
    await expect(async () => check('EOS:').run(keepsSpecials, context)).rejects.toThrow();
  });

  it('fail a tokenizer that treats a tag as special (skipSpecialTokens drops it)', async () => {
    const base = new MockTokenizer({ merges: ['<think>'] });
    const tagIsSpecial = broken(
      {
        decode: (ids, options) =>
          base.decode(
            options?.skipSpecialTokens === true ? ids.filter((id) => id !== base.tokenToId('<think>')) : ids,
            options,
          ),
      },
      base,
    );
    await expect(async () => check('round-trips each ReSearch tag').run(tagIsSpecial, context)).rejects.toThrow(
      'skipSpecialTokens drops',
    );
  });

  it('fail a tag that is one token but encodes to several', async () => {
    const base = new MockTokenizer();
    const claimsTag = broken({ tokenToId: (token) => (token === '<answer>' ? 5 : base.tokenToId(token)) }, base);
    await expect(async () => check('round-trips each ReSearch tag').run(claimsTag, context)).rejects.toThrow(
      '<answer> is token 5',
    );
  });

  it('fail idToToken and tokenToId that disagree, or name ids outside the vocabulary', async () => {
    const base = new MockTokenizer();
    const offByOne = broken({ tokenToId: (token) => (base.tokenToId(token) ?? -2) + 1 }, base);
    await expect(async () => check('tokenToId and idToToken').run(offByOne, context)).rejects.toThrow(
      'ids do not round-trip',
    );
    const namesEverything = broken({ idToToken: (id) => base.idToToken(id) ?? '?' }, base);
    await expect(async () => check('tokenToId and idToToken').run(namesEverything, context)).rejects.toThrow();
  });

  it('fail a tokenizer whose second instance encodes differently', async () => {
    let instances = 0;
    const createTokenizer = () => new MockTokenizer(instances++ === 0 ? {} : { merges: ['th'] });
    const first = createTokenizer();
    await expect(async () => check('is deterministic').run(first, { ...context, createTokenizer })).rejects.toThrow(
      'of a second instance',
    );
    // Same sizes and EOS, other ids: the encodings differ.
    const other = new MockTokenizer({ merges: ['th'] });
    const otherIds = broken({ encode: (text, options) => other.encode(text, options) });
    await expect(async () =>
      check('is deterministic').run(new MockTokenizer(), { ...context, createTokenizer: () => otherIds }),
    ).rejects.toThrow('by a second instance');
  });

  it('fail a chat template that drops the generation prompt, and a missing template that does not throw', async () => {
    const base = new MockTokenizer();
    const noPrompt = broken({ applyChatTemplate: (messages) => base.applyChatTemplate(messages) }, base);
    await expect(async () => check('applyChatTemplate').run(noPrompt, context)).rejects.toThrow(
      'addGenerationPrompt adds nothing',
    );
    const silent = broken({ applyChatTemplate: () => '' }, base);
    await expect(async () =>
      check('applyChatTemplate').run(silent, { ...context, chatTemplate: false }),
    ).rejects.toThrow('must throw');
  });
});
