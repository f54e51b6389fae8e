import { readDeviceTensors, type DeviceTensor } from '../backend/onnxruntime';
import { sampleToken, type SampledToken } from './sampling';
import type { Sequence } from './sequence';

/**
 * A draw whose uniform number lies closer than this to an end of the chosen id's cumulative interval is
 * redone on the host in float64 from the downloaded logits (`sampleToken`), so that a seed gives the
 * same ids on the device as on the host: the device's float32 cumulative sums are off by ~1e-6 for tiny
 * vocabularies and well under 1e-4 for 150k ones. About 2·10⁻⁴ of the draws come back this way.
 */
export const hostResolveMargin = 1e-4;

/** One token to draw from row `row` of a step's logits for `sequence`. */
export interface Draw {
  sequence: Sequence;
  row: number;
  /** Drawn on the host from the downloaded logits (top-k or top-p, or no sampler in the graph). */
  onHost: boolean;
  /** The uniform number fed to the sampler (temperature > 0 only: greedy draws none, as `sampleToken`). */
  uniform: number | undefined;
}

/**
 * Plans a draw, taking its uniform number from the sequence's RNG now when the graph samples it, in the
 * order `sampleToken` would: one 32-bit draw per sampled token, none for greedy ones.
 */
export function planDraw(sequence: Sequence, row: number, vocabSize: number, samplerInGraph: boolean): Draw {
  const { temperature, topK, topP } = sequence.settings;
  const onHost = !samplerInGraph || (temperature > 0 && ((topK > 0 && topK < vocabSize) || topP < 1));
  return { sequence, row, onHost, uniform: !onHost && temperature > 0 ? sequence.random.nextFloat() : undefined };
}

/** The sampler's `[draws, 3]` feed: (row, temperature, uniform); at least one (ignored) draw, as zero-sized tensors crash webgpu. */
export function samplingFeed(draws: readonly Draw[]): Float32Array {
  const feed = new Float32Array(Math.max(1, draws.length) * 3);
  draws.forEach((draw, index) =>
    feed.set([draw.row, draw.onHost ? 0 : draw.sequence.settings.temperature, draw.uniform ?? 0], index * 3),
  );
  return feed;
}

/**
 * The tokens of the draws: the sampler's id and logprob, or `sampleToken` on the host over the step's
 * logits (downloaded once, only when some draw needs them) for the draws planned on the host and those
 * whose margin is under `hostResolveMargin`.
 */
export async function resolveDraws(
  draws: readonly Draw[],
  samples: Float32Array | undefined,
  logits: DeviceTensor,
  vocabSize: number,
): Promise<SampledToken[]> {
  const resolvedOnHost = (draw: Draw, index: number) =>
    draw.onHost || samples === undefined || !(samples[index * 3 + 2]! >= hostResolveMargin);
  let hostLogits: Float32Array | undefined;
  if (draws.some(resolvedOnHost)) [hostLogits] = await readDeviceTensors([logits]);
  return draws.map((draw, index) => {
    if (!resolvedOnHost(draw, index)) return { id: samples![index * 3]!, logprob: samples![index * 3 + 1]! };
    const row = hostLogits!.subarray(draw.row * vocabSize, (draw.row + 1) * vocabSize);
    const random = draw.uniform === undefined ? draw.sequence.random : { nextFloat: () => draw.uniform! };
    return sampleToken(row, draw.sequence.settings, random);
  });
}
