import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '@research-ts/spec';
import { buildWorld } from './world-source';
import { resolveConfig } from './resolve-config';
import { questionCurriculum } from './train';

describe('questionCurriculum (training.curriculum)', async () => {
  const config = await resolveConfig({
    preset: 'tiny',
    fields: {
      data: {
        world: {
          questionTemplates: {
            headquartered_in: ['Which city is {subject} based in?'],
            'works_for>headquartered_in': ['Which city is the company {subject} works for based in?'],
          },
          questionsPerHop: { 1: 50, 2: 50, 3: 0 },
        },
      },
    },
  });
  const world = buildWorld(config.data.world!);
  const train = world.questions.train;
  const hops = (questions: readonly { id: string }[]) =>
    new Set(questions.map((question) => train.find((candidate) => candidate.id === question.id)!.metadata.hops));

  it('draws each phase from its hop counts, then from every question', () => {
    const pool = questionCurriculum(
      [
        { steps: 3, hops: [1] },
        { steps: 2, hops: [2] },
      ],
      train,
      world,
    );
    expect([1, 2, 3].map((step) => [...hops(pool(step))])).toEqual([[1], [1], [1]]);
    expect([4, 5].map((step) => [...hops(pool(step))])).toEqual([[2], [2]]);
    expect(pool(6)).toBe(train);
    expect(pool(6).length).toBe(80);
  });

  it('is every question at every step without phases, and refuses a phase no question fits', () => {
    expect(questionCurriculum([], train, world)(1)).toBe(train);
    const refused = () => questionCurriculum([{ steps: 5, hops: [3] }], train, world);
    expect(refused).toThrow(InvalidConfigError);
    expect(refused).toThrow(/training\.curriculum\.0\.hops.*no training question has 3 hops/);
    expect(() => questionCurriculum([{ steps: 5, hops: [1] }], train, undefined)).toThrow(/needs a generated world/);
  });
});
