import { describe, expect, it } from 'vitest';
import { lightStem } from './light-stemmer';

describe('lightStem (Harman S stemmer, terms of 4+ characters)', () => {
  it.each([
    ['cities', 'city'], // ies → y
    ['queries', 'query'],
    ['movies', 'movy'], // the rule is blind: ies → y even here
    ['aies', 'aie'], // "aies": not the ies rule; es rule (i before es) drops the s
    ['horses', 'horse'], // es → e
    ['potatoes', 'potatoe'], // "oes" is excluded from the es rule; the s rule drops the s
    ['trees', 'tree'], // "ees" is excluded from the es rule; the s rule drops the s
    ['stations', 'station'], // s → ''
    ['1990s', '1990'],
    ['glass', 'glass'], // ss kept
    ['campus', 'campus'], // us kept
    ['gas', 'gas'], // shorter than 4
    ['ice', 'ice'], // no s
    ['lighthouse', 'lighthouse'],
    ['zürichs', 'zürich'],
  ])('%s → %s', (term, stem) => {
    expect(lightStem(term)).toBe(stem);
  });
});
