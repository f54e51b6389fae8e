import { InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { tinyWordTokenizer } from '../__fixtures__/tiny-word-model';
import { acceptToken, createSequences } from './sequence';

const tokenizer = tinyWordTokenizer();
const the = tokenizer.tokenToId('the')!;
const eos = tokenizer.eosTokenIds[0]!;

describe('generation sequences', () => {
  it('checks requests and finishes a request for 0 tokens at once', () => {
    expect(() => createSequences([{ inputIds: [], maxNewTokens: 1 }], tokenizer, tokenizer.vocabSize)).toThrow(
      InvalidInputError,
    );
    expect(() =>
      createSequences([{ inputIds: [tokenizer.vocabSize], maxNewTokens: 1 }], tokenizer, tokenizer.vocabSize),
    ).toThrow(/outside the vocabulary/);
    expect(() =>
      createSequences([{ inputIds: [1], maxNewTokens: 1, sampling: { topP: 0 } }], tokenizer, tokenizer.vocabSize),
    ).toThrow(/topP/);
    const [none] = createSequences(
      [{ inputIds: [1], maxNewTokens: 0, logprobs: true }],
      tokenizer,
      tokenizer.vocabSize,
    );
    expect(none!.result).toEqual({ outputIds: [], text: '', finishReason: 'length', idsExact: true, logprobs: [] });
  });

  it('acceptToken: eos, a stop id, the length limit and stop strings end a sequence', () => {
    const [byEos, byStopId, byLength, byString] = createSequences(
      [
        { inputIds: [1], maxNewTokens: 5 },
        { inputIds: [1], maxNewTokens: 5, stopTokenIds: [the] },
        { inputIds: [1], maxNewTokens: 2, logprobs: true },
        { inputIds: [1], maxNewTokens: 5, stopStrings: ['the'] },
      ],
      tokenizer,
      tokenizer.vocabSize,
    );
    expect(acceptToken(byEos!, { id: eos, logprob: -1 }, undefined)).toBe(true);
    expect(byEos!.result).toMatchObject({ finishReason: 'eos', stopTokenId: eos });
    expect(acceptToken(byStopId!, { id: the, logprob: -1 }, undefined)).toBe(true);
    expect(byStopId!.result).toMatchObject({ finishReason: 'eos', stopTokenId: the });
    expect(acceptToken(byLength!, { id: the, logprob: -1 }, undefined)).toBe(false);
    expect(byLength!.pending).toBe(the);
    expect(acceptToken(byLength!, { id: the, logprob: -2 }, undefined)).toBe(true);
    expect(byLength!.result).toMatchObject({ finishReason: 'length', outputIds: [the, the], logprobs: [-1, -2] });
    const texts: string[] = [];
    expect(acceptToken(byString!, { id: the, logprob: -1 }, (_, delta) => texts.push(delta))).toBe(true);
    expect(byString!.result).toMatchObject({ finishReason: 'stop-string', stopString: 'the' });
    expect(texts.join('')).toBe(byString!.result!.text);
  });
});
