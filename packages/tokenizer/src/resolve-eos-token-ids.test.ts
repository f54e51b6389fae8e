import { describe, expect, it } from 'vitest';
import { resolveEosTokenIds, type EosSources } from './resolve-eos-token-ids';

// Qwen2.5 / Qwen3 ids: <|endoftext|> 151643, <|im_end|> 151645.
describe('resolveEosTokenIds', () => {
  it.each<[string, EosSources, number[]]>([
    [
      'generation_config wins, as given',
      { generationConfig: [151645, 151643], tokenizerConfig: 151645, endOfText: 151643 },
      [151645, 151643],
    ],
    [
      'generation_config with one id excludes the others',
      { generationConfig: [151643], tokenizerConfig: 151645, endOfText: 151643 },
      [151643],
    ],
    [
      'no generation_config: tokenizer eos then <|endoftext|>',
      { tokenizerConfig: 151645, endOfText: 151643 },
      [151645, 151643],
    ],
    [
      'empty generation_config list falls through',
      { generationConfig: [], tokenizerConfig: 151645, endOfText: 151643 },
      [151645, 151643],
    ],
    [
      'config.json between them, duplicates dropped',
      { tokenizerConfig: 151645, modelConfig: [151643, 151645], endOfText: 151643 },
      [151645, 151643],
    ],
    ['config.json alone when the tokenizer has no eos', { modelConfig: [2] }, [2]],
    ['base model whose eos is <|endoftext|>', { tokenizerConfig: 151643, endOfText: 151643 }, [151643]],
    ['nothing known', {}, []],
    [
      'Llama 3 without generation_config: <|end_of_text|>, then <|eot_id|> (and <|eom_id|> in 3.1+)',
      { tokenizerConfig: 128001, endOfTurn: [128009, 128008] },
      [128001, 128009, 128008],
    ],
    [
      'Llama 3 with generation_config: as given',
      { generationConfig: [128001, 128008, 128009], tokenizerConfig: 128001, endOfTurn: [128009, 128008] },
      [128001, 128008, 128009],
    ],
    ['generation_config duplicates dropped', { generationConfig: [7, 7, 3] }, [7, 3]],
  ])('%s', (_label, sources, expected) => {
    expect(resolveEosTokenIds(sources)).toEqual(expected);
  });
});
