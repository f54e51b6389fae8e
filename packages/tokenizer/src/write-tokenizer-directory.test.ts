import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBpeTokenizer } from './build-bpe-tokenizer';
import { buildWordLevelTokenizer } from './build-word-level-tokenizer';
import { createStreamingDecoder } from './create-streaming-decoder';
import { loadTokenizer } from './load-tokenizer';
import { writeTokenizerDirectory } from './write-tokenizer-directory';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'research-ts-write-tokenizer-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const corpus = ['Who wrote Hamlet? <think>An author question.</think> <answer>Shakespeare</answer>'];

describe('writeTokenizerDirectory', () => {
  it('writes files that loadTokenizer reads back, with the ChatML template by default', async () => {
    const tokenizerJson = buildBpeTokenizer(corpus, { vocabSize: 300, tagTokens: true });
    const directory = join(root, 'bpe', 'nested');
    const written = await writeTokenizerDirectory(directory, { tokenizerJson, eosToken: '<|im_end|>' });
    expect(written).toEqual({
      tokenizerJsonPath: join(directory, 'tokenizer.json'),
      tokenizerConfigPath: join(directory, 'tokenizer_config.json'),
    });
    expect(JSON.parse(await readFile(written.tokenizerJsonPath, 'utf8'))).toEqual(tokenizerJson);

    const tokenizer = await loadTokenizer(directory);
    const endOfText = tokenizer.tokenToId('<|endoftext|>')!;
    const imEnd = tokenizer.tokenToId('<|im_end|>')!;
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.eosTokenIds).toEqual([imEnd, endOfText]);
    expect(tokenizer.padTokenId).toBe(endOfText);
    const prompt = tokenizer.applyChatTemplate(
      [
        { role: 'system', content: 'Answer.' },
        { role: 'user', content: 'Who wrote Hamlet?' },
      ],
      { addGenerationPrompt: true },
    );
    expect(prompt).toBe(
      '<|im_start|>system\nAnswer.<|im_end|>\n<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n<|im_start|>assistant\n',
    );
    const ids = tokenizer.encode(prompt + '<think>x</think><|im_end|>');
    expect(tokenizer.decode(ids)).toBe(prompt + '<think>x</think><|im_end|>');
    const decoder = createStreamingDecoder(tokenizer);
    expect(ids.map((id) => decoder.push(id)).join('') + decoder.flush()).toBe(prompt + '<think>x</think><|im_end|>');
  });

  it('writes the fields transformers reads', async () => {
    const tokenizerJson = buildBpeTokenizer(corpus, { vocabSize: 280, specialTokens: ['<|extra|>'] });
    const directory = join(root, 'config');
    const { tokenizerConfigPath } = await writeTokenizerDirectory(directory, {
      tokenizerJson,
      eosToken: '<|im_end|>',
      chatTemplate: null,
      modelMaxLength: 2048,
    });
    const config = JSON.parse(await readFile(tokenizerConfigPath, 'utf8')) as Record<string, unknown>;
    const first = tokenizerJson.added_tokens[0]!.id;
    expect(config).toEqual({
      add_bos_token: false,
      add_prefix_space: false,
      added_tokens_decoder: Object.fromEntries(
        ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|extra|>'].map((content, index) => [
          String(first + index),
          { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
        ]),
      ),
      additional_special_tokens: ['<|im_start|>', '<|extra|>'],
      bos_token: null,
      clean_up_tokenization_spaces: false,
      eos_token: '<|im_end|>',
      model_max_length: 2048,
      pad_token: '<|endoftext|>',
      split_special_tokens: false,
      tokenizer_class: 'PreTrainedTokenizerFast',
      unk_token: null,
    });
    const tokenizer = await loadTokenizer(directory);
    expect(tokenizer.chatTemplate).toBeUndefined();
    expect(() => tokenizer.applyChatTemplate([])).toThrow('has no chat template');
  });

  it('keeps a word-level tokenizer unknown token and a custom template', async () => {
    const tokenizerJson = buildWordLevelTokenizer(['a b c'], { unknownToken: '<unk>' });
    const directory = join(root, 'word');
    await writeTokenizerDirectory(directory, {
      tokenizerJson,
      eosToken: '<|im_end|>',
      padToken: null,
      chatTemplate: '{{ messages[0].content }}',
    });
    const tokenizer = await loadTokenizer(directory);
    expect(tokenizer.encode('a z c')).toEqual([4, 3, 6]);
    expect(tokenizer.padTokenId).toBeUndefined();
    expect(tokenizer.applyChatTemplate([{ role: 'user', content: 'only' }])).toBe('only');
  });

  it.each([
    [{ eosToken: '</s>' }, 'config field "eosToken": "</s>" is not a token of tokenizerJson'],
    [{ eosToken: '<|im_end|>', bosToken: '<s>' }, 'config field "bosToken": "<s>" is not a token of tokenizerJson'],
    [{ eosToken: '<|im_end|>', modelMaxLength: 0 }, 'config field "modelMaxLength": must be a positive integer, got 0'],
  ])('rejects %j', async (options, message) => {
    const tokenizerJson = buildBpeTokenizer(corpus, { vocabSize: 260 });
    const attempt = writeTokenizerDirectory(join(root, 'rejected'), { tokenizerJson, ...options });
    await expect(attempt).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(writeTokenizerDirectory(join(root, 'rejected'), { tokenizerJson, ...options })).rejects.toThrow(
      message,
    );
  });
});
