import type { Trajectory } from '@research-ts/spec';

/**
 * A trajectory for tests: the given ids, a loss mask (all 1 unless given), and segments derived from
 * the mask (runs of 1 are `model`, runs of 0 are `result`).
 */
export function makeTrajectory(
  promptIds: readonly number[],
  responseIds: readonly number[],
  lossMask?: readonly number[],
): Trajectory {
  const mask = Uint8Array.from(lossMask ?? responseIds.map(() => 1));
  if (mask.length !== responseIds.length) throw new Error('makeTrajectory: lossMask and responseIds differ in length');
  const segments: { kind: 'model' | 'result'; start: number; end: number; text: string }[] = [];
  for (let start = 0; start < mask.length;) {
    let end = start;
    while (end < mask.length && mask[end] === mask[start]) end++;
    segments.push({
      kind: mask[start] === 1 ? 'model' : 'result',
      start,
      end,
      text: responseIds.slice(start, end).join(' '),
    });
    start = end;
  }
  return {
    promptIds: [...promptIds],
    responseIds: [...responseIds],
    lossMask: mask,
    segments,
    text: responseIds.join(' '),
    finishReason: 'eos',
    searches: [],
  };
}
