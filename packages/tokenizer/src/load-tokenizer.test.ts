import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBpeTokenizer } from './build-bpe-tokenizer';
import { loadTokenizer, loadTokenizerFromJson } from './load-tokenizer';

// Ids of this small tokenizer: 256 bytes, no merges (vocabSize leaves room for none),
// then <|endoftext|> 256, <|im_start|> 257, <|im_end|> 258, <|pad|> 259.
const tokenizerJson = buildBpeTokenizer(['hello'], { vocabSize: 260, specialTokens: ['<|pad|>'] });

/** The ChatML turn format of Qwen2.5, written here from its rules: one block per message. */
const qwen25StyleTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function expectInputError(run: () => unknown, fields: { source?: string; field?: string; message: string }) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  const error = caught as InvalidInputError;
  expect(error.message).toBe(fields.message);
  expect(error.source).toBe(fields.source);
  expect(error.field).toBe(fields.field);
}

describe('loadTokenizerFromJson: special tokens and EOS', () => {
  it('reads special tokens given as strings or AddedToken objects', () => {
    const tokenizer = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: { eos_token: { content: '<|im_end|>', special: true }, pad_token: '<|pad|>', bos_token: null },
    });
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.padTokenId).toBe(259);
    expect(tokenizer.padToken).toBe('<|pad|>');
    expect(tokenizer.bosToken).toBeUndefined();
    expect(tokenizer.specialTokenIds).toEqual([256, 257, 258, 259]);
  });

  it.each([
    ['tokenizer eos, then <|endoftext|>', {}, [258, 256]],
    ['generation_config list as given', { generationConfig: { eos_token_id: [256, 258] } }, [256, 258]],
    ['generation_config single id', { generationConfig: { eos_token_id: 258 } }, [258]],
    ['generation_config without eos_token_id falls through', { generationConfig: { temperature: 0.7 } }, [258, 256]],
    ['config.json joins the fallback', { modelConfig: { eos_token_id: 259 } }, [258, 259, 256]],
  ])('EOS ids: %s', (_label, files, expected) => {
    const tokenizer = loadTokenizerFromJson({ tokenizerJson, tokenizerConfig: { eos_token: '<|im_end|>' }, ...files });
    expect(tokenizer.eosTokenIds).toEqual(expected);
  });

  it('takes the EOS text from the first EOS id when the tokenizer config names none', () => {
    const tokenizer = loadTokenizerFromJson({ tokenizerJson, modelConfig: { eos_token_id: [258] } });
    expect(tokenizer.eosTokenIds).toEqual([258, 256]);
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.padTokenId).toBeUndefined();
  });
});

describe('loadTokenizerFromJson: chat templates', () => {
  const tokenizer = loadTokenizerFromJson({
    tokenizerJson,
    tokenizerConfig: { eos_token: '<|im_end|>', chat_template: qwen25StyleTemplate },
  });
  const chat = [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Who wrote Hamlet?' },
  ] as const;

  it('renders a ChatML (Qwen2.5-style) template from tokenizer_config.json', () => {
    expect(tokenizer.applyChatTemplate(chat, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(tokenizer.applyChatTemplate(chat)).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWho wrote Hamlet?<|im_end|>\n',
    );
  });

  it('passes the variables transformers passes, and extraContext over them', () => {
    const probe = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: {
        eos_token: '<|im_end|>',
        pad_token: '<|pad|>',
        additional_special_tokens: ['<|im_start|>'],
        chat_template:
          '{{ eos_token }}|{{ pad_token }}|{{ bos_token is defined }}|{{ tools is none }}|{{ documents is none }}|' +
          '{{ add_generation_prompt }}|{{ additional_special_tokens[0] }}|{{ messages | length }}|{{ custom }}',
      },
    });
    expect(probe.applyChatTemplate(chat)).toBe('<|im_end|>|<|pad|>|false|true|true|false|<|im_start|>|2|');
    expect(
      probe.applyChatTemplate(chat, { addGenerationPrompt: true, extraContext: { custom: 'x', eos_token: 'E' } }),
    ).toBe('E|<|pad|>|false|true|true|true|<|im_start|>|2|x');
  });

  it('uses the default entry of a list-form chat_template', () => {
    const listed = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: {
        chat_template: [
          { name: 'tool_use', template: 'T' },
          { name: 'default', template: 'D{{ messages[0].content }}' },
        ],
      },
    });
    expect(listed.applyChatTemplate([{ role: 'user', content: '!' }])).toBe('D!');
  });

  it('prefers chat_template.jinja over the config field', () => {
    const overridden = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: { chat_template: 'config' },
      chatTemplate: 'file',
    });
    expect(overridden.applyChatTemplate([])).toBe('file');
    expect(overridden.chatTemplate).toBe('file');
  });

  it('throws naming the file and field when there is no template, or it does not parse, or it raises', () => {
    expectInputError(() => loadTokenizerFromJson({ tokenizerJson }).applyChatTemplate([]), {
      source: 'tokenizer_config.json',
      field: 'chat_template',
      message: 'tokenizer_config.json, field "chat_template": has no chat template',
    });
    const broken = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: { chat_template: '{% for m in messages %}' },
    });
    expect(() => broken.applyChatTemplate([])).toThrow(
      /^tokenizer_config\.json, field "chat_template": chat template cannot be parsed: /,
    );
    const raising = loadTokenizerFromJson({
      tokenizerJson,
      tokenizerConfig: { chat_template: "{{ raise_exception('roles must alternate') }}" },
    });
    expect(() => raising.applyChatTemplate([])).toThrow(
      'tokenizer_config.json, field "chat_template": chat template failed to render: roles must alternate',
    );
  });
});

describe('loadTokenizerFromJson: encode and decode', () => {
  const tokenizer = loadTokenizerFromJson({ tokenizerJson });

  it('maps bytes to their ids and added tokens to theirs', () => {
    expect(tokenizer.encode('hi<|im_end|>')).toEqual([104, 105, 258]);
    expect(tokenizer.decode([104, 105, 258])).toBe('hi<|im_end|>');
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.vocabSize).toBe(260);
  });

  it('rejects ids that are not non-negative integers', () => {
    expectInputError(() => tokenizer.decode([104, -1]), {
      message: 'token id at index 1 must be a non-negative integer, got -1',
    });
    expectInputError(() => tokenizer.decode([1.5]), {
      message: 'token id at index 0 must be a non-negative integer, got 1.5',
    });
  });
});

describe('loadTokenizerFromJson: invalid files', () => {
  it.each([
    [
      'a non-object tokenizer.json',
      { tokenizerJson: [] },
      'tokenizer.json',
      undefined,
      'must be a JSON object, got an array',
    ],
    ['no model', { tokenizerJson: { added_tokens: [] } }, 'tokenizer.json', 'model', 'is missing'],
    [
      'no vocabulary',
      { tokenizerJson: { model: { type: 'BPE', merges: [] } } },
      'tokenizer.json',
      'model.vocab',
      'is missing',
    ],
    [
      'BPE without merges',
      { tokenizerJson: { model: { type: 'BPE', vocab: {} } } },
      'tokenizer.json',
      'model.merges',
      'must be an array, got nothing',
    ],
    [
      'a bad added token id',
      { tokenizerJson: { ...tokenizerJson, added_tokens: [{ id: 'x', content: 'a' }] } },
      'tokenizer.json',
      'added_tokens.0.id',
      'must be a non-negative integer, got "x"',
    ],
    [
      'a bad eos_token',
      { tokenizerJson, tokenizerConfig: { eos_token: 3 } },
      'tokenizer_config.json',
      'eos_token',
      'must be a string or an AddedToken object with a string "content", got a number',
    ],
    [
      'an eos_token not in the vocabulary',
      { tokenizerJson, tokenizerConfig: { eos_token: '</s>' } },
      'tokenizer_config.json',
      'eos_token',
      'names the token "</s>", which is not in tokenizer.json',
    ],
    [
      'a pad_token not in the vocabulary',
      { tokenizerJson, tokenizerConfig: { pad_token: { content: '<pad>' } } },
      'tokenizer_config.json',
      'pad_token',
      'names the token "<pad>", which is not in tokenizer.json',
    ],
    [
      'a bad chat_template',
      { tokenizerJson, tokenizerConfig: { chat_template: 5 } },
      'tokenizer_config.json',
      'chat_template',
      'must be a string or a list of { name, template }, got a number',
    ],
    [
      'a bad generation eos id',
      { tokenizerJson, generationConfig: { eos_token_id: [258, 'x'] } },
      'generation_config.json',
      'eos_token_id.1',
      'must be a non-negative integer or a list of them, got "x"',
    ],
    [
      'a generation eos id past the vocabulary',
      { tokenizerJson, generationConfig: { eos_token_id: 999 } },
      'generation_config.json',
      'eos_token_id',
      'id 999 is not in tokenizer.json (size 260)',
    ],
    [
      'a config.json eos id of the wrong type',
      { tokenizerJson, modelConfig: { eos_token_id: '2' } },
      'config.json',
      'eos_token_id',
      'must be a non-negative integer or a list of them, got "2"',
    ],
    [
      'a decoder the engine does not know',
      { tokenizerJson: { ...tokenizerJson, decoder: { type: 'Mystery' } } },
      'tokenizer.json',
      undefined,
      'cannot be read by the tokenizer engine: Unknown Decoder type: Mystery',
    ],
  ])('%s', (_label, files, source, field, problem) => {
    const where = field === undefined ? source : `${source}, field "${field}"`;
    expectInputError(() => loadTokenizerFromJson(files as Parameters<typeof loadTokenizerFromJson>[0]), {
      source,
      field,
      message: `${where}: ${problem}`,
    });
  });
});

describe('loadTokenizer: a directory', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'research-ts-tokenizer-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads tokenizer.json, tokenizer_config.json, generation_config.json and chat_template.jinja', async () => {
    const model = join(directory, 'model');
    await mkdir(model, { recursive: true });
    await writeFile(join(model, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    await writeFile(
      join(model, 'tokenizer_config.json'),
      JSON.stringify({ eos_token: '<|im_end|>', chat_template: 'config' }),
    );
    await writeFile(join(model, 'generation_config.json'), JSON.stringify({ eos_token_id: [258, 256, 259] }));
    await writeFile(join(model, 'chat_template.jinja'), '{{ messages[0].content }}!');
    const tokenizer = await loadTokenizer(model);
    expect(tokenizer.eosTokenIds).toEqual([258, 256, 259]);
    expect(tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('hi!');
    expect(tokenizer.decode(tokenizer.encode('hello'))).toBe('hello');
  });

  it('names the missing tokenizer.json', async () => {
    const empty = join(directory, 'empty');
    await mkdir(empty, { recursive: true });
    await expect(loadTokenizer(empty)).rejects.toThrow(
      `${join(empty, 'tokenizer.json')}: is missing (a Hugging Face tokenizer directory needs it)`,
    );
    await expect(loadTokenizer(empty)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('names a file that is not JSON', async () => {
    const bad = join(directory, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    await writeFile(join(bad, 'tokenizer_config.json'), '{"eos_token": ');
    const error = await loadTokenizer(bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).source).toBe(join(bad, 'tokenizer_config.json'));
    expect((error as InvalidInputError).message).toMatch(/tokenizer_config\.json: is not valid JSON: /);
  });

  it('names the file path in field errors', async () => {
    const wrong = join(directory, 'wrong');
    await mkdir(wrong, { recursive: true });
    await writeFile(join(wrong, 'tokenizer.json'), JSON.stringify(tokenizerJson));
    await writeFile(join(wrong, 'config.json'), JSON.stringify({ eos_token_id: -1 }));
    await expect(loadTokenizer(wrong)).rejects.toThrow(
      `${join(wrong, 'config.json')}, field "eos_token_id": must be a non-negative integer or a list of them, got -1`,
    );
  });
});
