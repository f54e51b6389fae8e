import { describe, expect, it } from 'vitest';
import { generateWorld } from './generate-world';
import { worldTexts } from './world-texts';

describe('worldTexts', () => {
  it('lists the passages, then each question (train, then held out) followed by its answers', () => {
    const world = generateWorld({
      seed: 3,
      people: 12,
      places: 4,
      organisations: 4,
      countries: 2,
      questionsPerHop: { 1: 6, 2: 0, 3: 0 },
    });
    const questions = [...world.questions.train, ...world.questions.heldOut];
    expect(worldTexts(world)).toEqual([
      ...world.passages.map((passage) => passage.contents),
      ...questions.flatMap((question) => [question.question, ...question.goldenAnswers]),
    ]);
    expect(questions.length).toBeGreaterThan(0);
  });
});
