import { splitWorldWords } from '@research-ts/spec';
import type { World } from './world-types';

/**
 * Every distinct word (by spec's `splitWorldWords`) of a world's passages, questions (train and held out) and
 * gold answers, sorted by UTF-16 code units: the vocabulary of a word-level tokenizer that covers the
 * world. It holds the name words, the template words and the punctuation, and nothing else.
 */
export function worldVocabulary(world: World): string[] {
  const words = new Set<string>();
  const add = (text: string): void => {
    for (const word of splitWorldWords(text)) words.add(word);
  };
  for (const passage of world.passages) add(passage.contents);
  for (const question of [...world.questions.train, ...world.questions.heldOut]) {
    add(question.question);
    for (const answer of question.goldenAnswers) add(answer);
  }
  return [...words].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
}
