import type { World } from './world-types';

/** Every text of a world a tokenizer must cover: passages, questions (train and held out) and answers. */
export function worldTexts(world: World): string[] {
  const texts = world.passages.map((passage) => passage.contents);
  for (const question of [...world.questions.train, ...world.questions.heldOut])
    texts.push(question.question, ...question.goldenAnswers);
  return texts;
}
