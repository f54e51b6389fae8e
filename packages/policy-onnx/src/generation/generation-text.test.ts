import { buildBpeTokenizer, loadTokenizerFromJson } from '@research-ts/tokenizer';
import { describe, expect, it } from 'vitest';
import { GenerationText } from './generation-text';

// A byte-level BPE tokenizer without tag tokens, so "</search>" spans several tokens.
const tokenizer = loadTokenizerFromJson({
  tokenizerJson: buildBpeTokenizer(['look up the capital and search the sea', 'café au lait'], {
    vocabSize: 300,
    minFrequency: 1,
  }),
});

function run(text: string, stops: string[]) {
  const ids = tokenizer.encode(text, { addSpecialTokens: false });
  const generation = new GenerationText(tokenizer, stops);
  const deltas: string[] = [];
  for (const [index, id] of ids.entries()) {
    const { delta, stopString } = generation.push(id);
    deltas.push(delta);
    if (stopString !== undefined) return { ids, consumed: index + 1, stopString, text: generation.text, deltas };
  }
  deltas.push(generation.finish());
  return { ids, consumed: ids.length, stopString: undefined, text: generation.text, deltas };
}

describe('GenerationText', () => {
  it('finds "</search>" spread over several tokens and cuts the text right after it', () => {
    const result = run('look up <search> the capital </search> and then more', ['</search>']);
    const pieces = result.ids.map((id) => tokenizer.decode([id]));
    expect(pieces.filter((piece) => /[<\/search>]/.test(piece)).length).toBeGreaterThan(2); // really split
    expect(result.stopString).toBe('</search>');
    expect(result.text).toBe('look up <search> the capital </search>');
    expect(tokenizer.decode(result.ids.slice(0, result.consumed)).startsWith(result.text)).toBe(true);
    expect(tokenizer.decode(result.ids.slice(0, result.consumed - 1))).not.toContain('</search>'); // the last token completed it
    expect(result.deltas.join('')).toBe(result.text);
  });

  it('the earliest-ending stop string wins; text without a stop string streams whole', () => {
    expect(run('café au lait and search', ['search', 'au l']).stopString).toBe('au l');
    expect(run('café au lait and search', ['search', 'au l']).text).toBe('café au l');
    const plain = run('café au lait', ['</search>']);
    expect(plain.stopString).toBeUndefined();
    expect(plain.text).toBe('café au lait');
    expect(plain.deltas.join('')).toBe('café au lait');
    expect(plain.deltas.every((delta) => !delta.includes('\uFFFD'))).toBe(true); // é waits for its second byte
  });

  it('rejects an empty stop string', () => {
    expect(() => new GenerationText(tokenizer, ['ok', ''])).toThrow(
      'GenerateRequest.stopStrings, field "1": must be a non-empty string',
    );
  });
});
