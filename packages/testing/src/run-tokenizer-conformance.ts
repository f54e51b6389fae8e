import type { ChatMessage, Tokenizer } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The texts every tokenizer must round-trip by default (`decode(encode(s)) === s`): ASCII prose and
 * punctuation, Unicode (accents, CJK, Hangul, Arabic, Devanagari, emoji with a skin tone, a ZWJ family, a
 * flag, a variation selector), combining marks, whitespace runs, tabs, newlines (`\n`, `\r\n`, blank
 * lines), leading and trailing spaces, a ChatML turn with its special tokens, a ReSearch transcript, and
 * the empty string.
 *
 * Every sample is in Unicode normal form C: Qwen's tokenizers normalize to NFC, so decomposed text
 * (`e` + U+0301) comes back composed (`é`) and is not text their vocabulary covers. The combining marks
 * here have no precomposed form (`x` + U+0301), so they stay as written.
 */
export const tokenizerConformanceSamples: readonly string[] = Object.freeze([
  'The quick brown fox jumps over the lazy dog.',
  "It's 3:45 p.m.; the total is $1,234.56 (or 99%)! #tag @user {x: [1, 2]} a_b-c/d\\e",
  'Zürich, 東京, 서울, القاهرة and नमस्ते; naïve café crème.',
  '🙂 👍🏽 👩‍👩‍👧 🇯🇵 ✈️',
  'x\u0301 q\u0307 Z\u0351\u0351',
  '  two  spaces,\tone tab,\t\ttwo tabs,   three spaces   ',
  'line one\nline two\n\n\nafter blank lines\r\nwindows line\n',
  '\n',
  ' ',
  '    indented',
  '<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n<|im_start|>assistant\n',
  '<think>I should search.</think>\n<search>author of Hamlet</search>\n<result>\n"Hamlet"\nHamlet is a tragedy by William Shakespeare.\n</result>\n<answer>\\boxed{William Shakespeare}</answer>',
  '',
]);

/** The ReSearch tags: each must round-trip, with and without `skipSpecialTokens` (a tag is never special). */
export const tokenizerConformanceTags: readonly string[] = Object.freeze([
  '<think>',
  '</think>',
  '<search>',
  '</search>',
  '<result>',
  '</result>',
  '<answer>',
  '</answer>',
]);

export interface TokenizerConformanceOptions {
  /** Shown in the `describe` title. */
  name: string;
  /** Builds the tokenizer; called twice (the second instance must encode like the first). */
  createTokenizer: () => Tokenizer | Promise<Tokenizer>;
  /**
   * Texts the vocabulary covers, each of which must round-trip exactly. Defaults to
   * {@link tokenizerConformanceSamples}; a tokenizer that covers less (a word-level one, whose `decode` joins
   * words with one space) passes its own, written as its `decode` writes them.
   */
  samples?: readonly string[];
  /** Whether the tokenizer has a chat template (default `true`); without one `applyChatTemplate` must throw. */
  chatTemplate?: boolean;
}

/** What each check gets: the tokenizer, the samples, and a way to build a second instance. */
export interface TokenizerConformanceContext {
  samples: readonly string[];
  chatTemplate: boolean;
  createTokenizer: () => Tokenizer | Promise<Tokenizer>;
}

/** One check of the suite; `run` throws (a vitest assertion error) when the tokenizer does not conform. */
export interface TokenizerConformanceCheck {
  name: string;
  run: (tokenizer: Tokenizer, context: TokenizerConformanceContext) => Promise<void> | void;
}

const noSpecials = { addSpecialTokens: false } as const;
const skipSpecials = { skipSpecialTokens: true } as const;

function show(text: string): string {
  return JSON.stringify(text);
}

function expectIdInVocabulary(tokenizer: Tokenizer, id: number, label: string): void {
  expect(
    Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize,
    `${label}: id ${id} is not an integer in [0, vocabSize = ${tokenizer.vocabSize})`,
  ).toBe(true);
  expect(tokenizer.idToToken(id), `${label}: idToToken(${id}) is undefined`).toBeDefined();
}

/** The first sample with text in it, for the checks that append a token to some text. */
function someText(samples: readonly string[]): string {
  return samples.find((sample) => sample.trim() !== '') ?? 'a';
}

const chat: readonly ChatMessage[] = Object.freeze([
  Object.freeze({ role: 'system' as const, content: 'You are a helpful assistant.' }),
  Object.freeze({ role: 'user' as const, content: 'Who wrote the play Hamlet?' }),
]);

/**
 * The checks, in order. Exported so that tests can run them against deliberately broken tokenizers (a
 * suite that cannot fail proves nothing).
 *
 * What the spec promises and the suite checks: `decode(encode(s)) === s` for text the vocabulary covers
 * (the samples). What it does not promise and the suite does not check: that `encode(a + b)` equals
 * `encode(a)` followed by `encode(b)` (BPE merges across the boundary), that `encode(decode(ids))` gives
 * back `ids` (several id sequences spell the same text), or what `decode` does with an unknown id.
 */
export const tokenizerConformanceChecks: readonly TokenizerConformanceCheck[] = [
  {
    name: 'declares specificationVersion v1, an integer vocabSize, and EOS and pad ids inside it',
    run(tokenizer) {
      expect(tokenizer.specificationVersion).toBe('v1');
      expect(Number.isInteger(tokenizer.vocabSize) && tokenizer.vocabSize > 0, 'vocabSize').toBe(true);
      expect(Array.isArray(tokenizer.eosTokenIds), 'eosTokenIds is an array').toBe(true);
      for (const id of tokenizer.eosTokenIds) expectIdInVocabulary(tokenizer, id, 'eosTokenIds');
      expect(new Set(tokenizer.eosTokenIds).size, 'eosTokenIds repeat an id').toBe(tokenizer.eosTokenIds.length);
      expect(['string', 'undefined'], 'eosToken').toContain(typeof tokenizer.eosToken);
      if (tokenizer.padTokenId !== undefined) expectIdInVocabulary(tokenizer, tokenizer.padTokenId, 'padTokenId');
    },
  },
  {
    name: 'round-trips every sample: decode(encode(s)) === s, with and without addSpecialTokens',
    run(tokenizer, { samples }) {
      for (const sample of samples) {
        expect(tokenizer.decode(tokenizer.encode(sample)), `round trip of ${show(sample)}`).toBe(sample);
        expect(
          tokenizer.decode(tokenizer.encode(sample, noSpecials)),
          `round trip of ${show(sample)} with addSpecialTokens: false`,
        ).toBe(sample);
      }
    },
  },
  {
    name: 'encodes to integer ids in [0, vocabSize) that idToToken names',
    run(tokenizer, { samples }) {
      for (const sample of samples) {
        for (const options of [undefined, noSpecials]) {
          const ids = tokenizer.encode(sample, options);
          expect(Array.isArray(ids), `encode(${show(sample)}) is not an array`).toBe(true);
          const outside = ids.filter(
            (id) =>
              !Number.isInteger(id) || id < 0 || id >= tokenizer.vocabSize || tokenizer.idToToken(id) === undefined,
          );
          expect(outside, `encode(${show(sample)}): ids outside [0, vocabSize) or unnamed by idToToken`).toEqual([]);
        }
      }
    },
  },
  {
    name: 'encodes the empty string to no ids and decodes no ids to the empty string',
    run(tokenizer) {
      expect(tokenizer.encode('', noSpecials)).toEqual([]);
      expect(tokenizer.decode(tokenizer.encode(''))).toBe('');
      expect(tokenizer.decode([])).toBe('');
      expect(tokenizer.decode([], skipSpecials)).toBe('');
    },
  },
  {
    name: 'EOS: eosToken is one id of eosTokenIds, encodes to it inside text, and skipSpecialTokens drops every EOS id',
    run(tokenizer, { samples }) {
      const text = someText(samples);
      const eosToken = tokenizer.eosToken;
      if (eosToken !== undefined) {
        const id = tokenizer.tokenToId(eosToken);
        expect(id, `tokenToId(eosToken ${show(eosToken)})`).toBeDefined();
        expect(tokenizer.eosTokenIds, `eosToken ${show(eosToken)} (id ${id}) is not in eosTokenIds`).toContain(id);
        expect(tokenizer.idToToken(id!)).toBe(eosToken);
        expect(tokenizer.encode(eosToken, noSpecials), `encode(eosToken) is not the one id ${id}`).toEqual([id]);
        expect(tokenizer.decode([id!])).toBe(eosToken);
        // A response that ends with the EOS text ends with the EOS id (the reward checks the ending).
        const ids = tokenizer.encode(text + eosToken, noSpecials);
        expect(ids.at(-1), `encode(${show(text + eosToken)}) does not end with the EOS id`).toBe(id);
        expect(tokenizer.decode(ids, skipSpecials)).toBe(text);
      }
      for (const id of tokenizer.eosTokenIds) {
        const token = tokenizer.idToToken(id)!;
        expect(tokenizer.decode([id]), `decode([${id}]) is not its token ${show(token)}`).toBe(token);
        expect(tokenizer.decode([id], skipSpecials), `skipSpecialTokens keeps EOS id ${id}`).toBe('');
        expect(tokenizer.decode([...tokenizer.encode(text), id], skipSpecials)).toBe(text);
      }
    },
  },
  {
    name: 'pad: padTokenId is one token whose text encodes to it and decodes back',
    run(tokenizer) {
      const id = tokenizer.padTokenId;
      if (id === undefined) return;
      const token = tokenizer.idToToken(id)!;
      expect(tokenizer.tokenToId(token)).toBe(id);
      expect(tokenizer.encode(token, noSpecials), `encode(pad token ${show(token)}) is not the one id ${id}`).toEqual([
        id,
      ]);
      expect(tokenizer.decode([id])).toBe(token);
    },
  },
  {
    name: 'round-trips each ReSearch tag, also with skipSpecialTokens; a tag held as one token encodes to that id',
    run(tokenizer) {
      for (const tag of tokenizerConformanceTags) {
        const ids = tokenizer.encode(tag, noSpecials);
        expect(tokenizer.decode(ids), `round trip of ${tag}`).toBe(tag);
        expect(tokenizer.decode(ids, skipSpecials), `skipSpecialTokens drops (part of) ${tag}`).toBe(tag);
        expect(tokenizer.decode(tokenizer.encode(tag)), `round trip of ${tag} (default options)`).toBe(tag);
        const id = tokenizer.tokenToId(tag);
        if (id !== undefined) {
          expect(ids, `${tag} is token ${id} but encodes to ${JSON.stringify(ids)}`).toEqual([id]);
          expect(tokenizer.idToToken(id)).toBe(tag);
        }
      }
    },
  },
  {
    name: 'tokenToId and idToToken are inverse; both answer undefined outside the vocabulary',
    run(tokenizer, { samples }) {
      const ids = new Set<number>([...tokenizer.eosTokenIds, 0, tokenizer.vocabSize - 1]);
      if (tokenizer.padTokenId !== undefined) ids.add(tokenizer.padTokenId);
      for (const sample of samples) for (const id of tokenizer.encode(sample)) ids.add(id);
      // A strided scan of the whole range (about 20 000 ids) besides the ids the samples use.
      const stride = Math.max(1, Math.floor(tokenizer.vocabSize / 20_000));
      for (let id = 0; id < tokenizer.vocabSize; id += stride) ids.add(id);
      // Collected, then asserted once: an `expect` per id would cost more than the lookups.
      const mismatches: string[] = [];
      for (const id of ids) {
        const token = tokenizer.idToToken(id);
        if (token === undefined) continue;
        const back = typeof token === 'string' ? tokenizer.tokenToId(token) : undefined;
        if (back !== id) mismatches.push(`tokenToId(idToToken(${id}) = ${show(String(token))}) = ${back}`);
      }
      expect(mismatches.slice(0, 10), `${mismatches.length} ids do not round-trip`).toEqual([]);
      for (const id of [-1, tokenizer.vocabSize, tokenizer.vocabSize + 1000, 1.5, Number.NaN]) {
        expect(tokenizer.idToToken(id), `idToToken(${id})`).toBeUndefined();
      }
      for (const token of ['', 'zq\u00a7-no-such-token-\u00b6-\u0398\u0398\u0398-xq']) {
        expect(tokenizer.tokenToId(token), `tokenToId(${show(token)})`).toBeUndefined();
      }
    },
  },
  {
    name: 'is deterministic: repeated calls and a second instance give the same ids and text',
    async run(tokenizer, { samples, createTokenizer }) {
      const second = await createTokenizer();
      expect(second.vocabSize, 'vocabSize of a second instance').toBe(tokenizer.vocabSize);
      expect([...second.eosTokenIds], 'eosTokenIds of a second instance').toEqual([...tokenizer.eosTokenIds]);
      expect(second.eosToken, 'eosToken of a second instance').toBe(tokenizer.eosToken);
      expect(second.padTokenId, 'padTokenId of a second instance').toBe(tokenizer.padTokenId);
      for (const sample of samples) {
        const ids = tokenizer.encode(sample);
        expect(tokenizer.encode(sample), `encode(${show(sample)}) twice`).toEqual(ids);
        expect(second.encode(sample), `encode(${show(sample)}) by a second instance`).toEqual(ids);
        const frozen = Object.freeze([...ids]);
        expect(tokenizer.decode(frozen), `decode of a frozen array`).toBe(tokenizer.decode(ids));
        expect(second.decode(frozen)).toBe(tokenizer.decode(ids));
      }
    },
  },
  {
    name: 'applyChatTemplate renders the messages in order, the generation prompt as a suffix (or throws without a template)',
    run(tokenizer, { chatTemplate }) {
      if (!chatTemplate) {
        expect(() => tokenizer.applyChatTemplate(chat), 'a tokenizer without a template must throw').toThrow();
        return;
      }
      const plain = tokenizer.applyChatTemplate(chat);
      const prompted = tokenizer.applyChatTemplate(chat, { addGenerationPrompt: true });
      expect(typeof plain).toBe('string');
      expect(tokenizer.applyChatTemplate(chat), 'rendering twice').toBe(plain);
      const system = plain.indexOf(chat[0]!.content);
      const user = plain.indexOf(chat[1]!.content);
      expect(system, 'the system message is missing').toBeGreaterThanOrEqual(0);
      expect(user, 'the user message is missing or before the system message').toBeGreaterThan(system);
      expect(prompted.startsWith(plain), 'the generation prompt is not appended').toBe(true);
      expect(prompted.length, 'addGenerationPrompt adds nothing').toBeGreaterThan(plain.length);
      expect(tokenizer.decode(tokenizer.encode(prompted)), 'the rendered prompt does not round-trip').toBe(prompted);
    },
  },
];

/**
 * The conformance suite every `Tokenizer` implementation runs (a vitest `describe` block). Call it at the
 * top level of a test file:
 *
 * ```ts
 * runTokenizerConformance({ name: 'Qwen3', createTokenizer: () => loadTokenizer(directory) });
 * ```
 *
 * The tokenizer is built once for the suite (and once more for the determinism check); each check is one `it`.
 */
export function runTokenizerConformance(options: TokenizerConformanceOptions): void {
  const context: TokenizerConformanceContext = {
    samples: options.samples ?? tokenizerConformanceSamples,
    chatTemplate: options.chatTemplate ?? true,
    createTokenizer: options.createTokenizer,
  };
  describe(`${options.name}: Tokenizer conformance`, () => {
    let tokenizer: Tokenizer | undefined;
    beforeAll(async () => {
      tokenizer = await options.createTokenizer();
    });
    afterAll(() => {
      tokenizer = undefined;
    });
    it('has at least one sample with text in it', () => {
      expect(context.samples.some((sample) => sample.trim() !== '')).toBe(true);
    });
    for (const check of tokenizerConformanceChecks) {
      it(check.name, () => check.run(tokenizer!, context));
    }
  });
}
