// Writes src/__fixtures__/tiny-world.json: a small world whose every byte the golden test compares, so a
// change to the generator's output (names, facts, sentences, questions, split) is seen and decided on.
// Run from packages/datasets: node --conditions=@research-ts/source --import tsx scripts/make-world-fixture.ts
import { writeFileSync } from 'node:fs';
import { generateWorld } from '@research-ts/datasets';

const tinyWorldOptions = {
  seed: 7,
  people: 6,
  places: 3,
  organisations: 2,
  countries: 2,
  relations: ['born_in', 'works_for', 'spouse', 'founded_by', 'headquartered_in', 'located_in', 'capital'],
  questionsPerHop: { 1: 4, 2: 3, 3: 2 },
  heldOutFraction: 0.25,
} as const;

const world = generateWorld({ ...tinyWorldOptions, relations: [...tinyWorldOptions.relations] });
writeFileSync(new URL('../src/__fixtures__/tiny-world.json', import.meta.url), `${JSON.stringify(world, null, 2)}\n`);
console.log(
  `wrote tiny-world.json: ${world.passages.length} passages, ${world.questions.train.length} train, ${world.questions.heldOut.length} held out`,
);
