/** Test and benchmark data: hand-written rollouts, a seeded generator of rollouts, and mutations. */

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rollouts written for these tests: well formed, and broken in the ways models break them. */
export const sampleRollouts: readonly string[] = [
  // well formed, one search, instruct-style ending
  '<think> I need the birthplace of the author of "The Long Field". </think> <search> author of The Long Field </search>' +
    ' <result>\n"The Long Field"\nThe Long Field is a memoir by Pamela Petro.\n\n"Pamela Petro"\nPamela Petro was born in New Jersey.\n</result>' +
    ' <think> The author is Pamela Petro, born in New Jersey. </think> <answer> The final answer is \\[ \\boxed{New Jersey} \\] </answer><|im_end|>',
  // two searches, empty think, newlines
  '<think></think>\n<search>river through Lyon</search> <result>\n"Lyon"\nLyon lies at the confluence of the Rhône and the Saône.\n</result>\n' +
    '<think>Which is longer?</think><search>length of the Saône</search> <result>\n"Saône"\nThe Saône is 473 km long.\n</result>' +
    '<think>Rhône is longer.</think><answer>\\boxed{Rhône}</answer>',
  // unclosed think running into a search (nested opener), stray closers
  '<think> let me search <search> capital of Australia </search> </think> </answer> <answer> \\boxed{Canberra} </answer>',
  // unknown and near-miss tags, a < b comparisons, case variants, a partial tag at the very end
  'a < b and b <c> <Think>no</Think> <thinking> <searching <search>q</search><result>r</result> </resul <answer>x</answer> <sea',
  // stops at </search> like a rollout turn, with unicode and emoji
  '<think> 東京の人口は？ 😀 </think> <search> population of Tokyo 🗼 </search>',
  // closers only, doubled openers, unclosed answer
  '</think></search></result><think><think>x</think></think><answer>\\boxed{1}',
];

const words = ['the', 'river', 'capital', 'born', 'film', 'director', 'of', 'which', 'year', 'Paris', 'album', '1987', 'é', '東京', '😀', 'x<y', 'a > b', '{', '}'];

function sentence(random: () => number, maxWords: number): string {
  const count = 1 + Math.floor(random() * maxWords);
  const parts: string[] = [];
  for (let index = 0; index < count; index += 1) parts.push(words[Math.floor(random() * words.length)]!);
  return parts.join(random() < 0.1 ? '\n' : ' ');
}

/** A well-formed ReSearch rollout with 0–3 searches. */
export function generateRollout(random: () => number, maxWords = 12): string {
  let text = `<think> ${sentence(random, maxWords)} </think>`;
  const searches = Math.floor(random() * 4);
  for (let index = 0; index < searches; index += 1) {
    text += ` <search> ${sentence(random, 6)} </search>`;
    text += ` <result>\n"${sentence(random, 3)}"\n${sentence(random, maxWords * 2)}\n</result>`;
    text += ` <think> ${sentence(random, maxWords)} </think>`;
  }
  text += ` <answer> The final answer is \\[ \\boxed{${sentence(random, 3)}} \\] </answer>`;
  return text;
}

const fragments = [
  '<', '>', '/', '</', '<t', '<th', '<thi', '<thin', '<think', '<think>', '</think>', '</thi', '<s', '<sea', '<search>',
  '</search>', '</sea', 'rch>', 'ink>', '<result>', '</result>', '<res', '</res', 'ult>', '<answer>', '</answer>', '<ans',
  '</ans', 'wer>', '<foo>', '</foo>', '<<', '>>', '<Think>', '\\boxed{', '}', '😀', '\ud83d', '\n',
];

/** Mutates a rollout by deleting, duplicating, or inserting tag fragments (1–5 edits). */
export function mutateRollout(text: string, random: () => number): string {
  let result = text;
  const edits = 1 + Math.floor(random() * 5);
  for (let edit = 0; edit < edits; edit += 1) {
    const at = Math.floor(random() * (result.length + 1));
    const kind = random();
    if (kind < 0.35) {
      // delete a short span, often cutting a tag in half
      const length = 1 + Math.floor(random() * 9);
      result = result.slice(0, at) + result.slice(at + length);
    } else if (kind < 0.6) {
      // duplicate a span
      const length = 1 + Math.floor(random() * 12);
      result = result.slice(0, at) + result.slice(at, at + length) + result.slice(at);
    } else {
      result = result.slice(0, at) + fragments[Math.floor(random() * fragments.length)]! + result.slice(at);
    }
  }
  return result;
}

/** Text made only of fragments, to hit every state and boundary. */
export function randomFragmentText(random: () => number, maxFragments = 20): string {
  const count = Math.floor(random() * maxFragments);
  let text = '';
  for (let index = 0; index < count; index += 1) {
    text += random() < 0.7 ? fragments[Math.floor(random() * fragments.length)]! : words[Math.floor(random() * words.length)]!;
  }
  return text;
}
