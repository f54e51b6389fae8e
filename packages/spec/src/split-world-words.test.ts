import { describe, expect, it } from 'vitest';
import { splitWorldWords } from './split-world-words';

describe('splitWorldWords', () => {
  it.each([
    [
      '"Molhe Group"\nMolhe Group is a company.',
      ['"', 'Molhe', 'Group', '"', 'Molhe', 'Group', 'is', 'a', 'company', '.'],
    ],
    ['Where was Velor Quenth born?', ['Where', 'was', 'Velor', 'Quenth', 'born', '?']],
    ["Rezex's 2 cities, Zürich\t!", ['Rezex', "'", 's', '2', 'cities', ',', 'Zürich', '!']],
    ['  \n ', []],
  ])('%j', (text, words) => {
    expect(splitWorldWords(text)).toEqual(words);
  });
});
