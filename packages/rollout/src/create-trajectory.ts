import {
  InvalidInputError,
  type SearchRecord,
  type Trajectory,
  type TrajectoryFinishReason,
  type TrajectorySegment,
} from '@research-ts/spec';

export interface TrajectoryParts {
  promptIds: readonly number[];
  responseIds: readonly number[];
  /** 1 where the policy generated the token, 0 where the environment inserted it. */
  lossMask: Uint8Array | readonly number[];
  segments: readonly TrajectorySegment[];
  text: string;
  finishReason: TrajectoryFinishReason;
  searches: readonly SearchRecord[];
  /** Required exactly when `finishReason === 'error'`. */
  error?: string;
  /** The sampler's logprob of each response token (any value where the loss mask is 0); see `Trajectory`. */
  rolloutLogprobs?: Float32Array | readonly number[];
}

const source = 'createTrajectory';

function fail(field: string, problem: string): never {
  throw new InvalidInputError(problem, { source, field });
}

function checkTokenIds(field: string, ids: readonly number[]): void {
  for (let index = 0; index < ids.length; index += 1) {
    const id = ids[index]!;
    if (!(Number.isInteger(id) && id >= 0)) fail(`${field}.${index}`, `is not a token id: ${String(id)}`);
  }
}

/**
 * The only constructor of a spec `Trajectory`. It checks the invariants every consumer relies on and
 * returns a frozen value (arrays copied and frozen; `lossMask` is a fresh `Uint8Array`, which
 * JavaScript cannot freeze, owned by the trajectory):
 *
 * - `responseIds.length === lossMask.length`, every mask value 0 or 1, every id a non-negative integer;
 * - `segments` are non-empty, contiguous, start at 0 and end at `responseIds.length`;
 * - a `'model'` segment has mask 1 on all its tokens, a `'result'` segment mask 0 on all of its;
 * - `text` is the concatenation of the segments' texts;
 * - `error` is present exactly when `finishReason === 'error'`;
 * - `rolloutLogprobs`, when given, has one value per response token, finite where the loss mask is 1 (copied
 *   into a fresh `Float32Array`).
 *
 * A violation is a programming fault: it throws {@link InvalidInputError} naming the field.
 */
export function createTrajectory(parts: TrajectoryParts): Trajectory {
  const { promptIds, responseIds, lossMask, segments, text, finishReason, searches, error, rolloutLogprobs } = parts;
  if (responseIds.length !== lossMask.length) {
    fail('lossMask', `has ${lossMask.length} entries but responseIds has ${responseIds.length}`);
  }
  checkTokenIds('promptIds', promptIds);
  checkTokenIds('responseIds', responseIds);
  const mask = new Uint8Array(lossMask.length);
  for (let index = 0; index < lossMask.length; index += 1) {
    const value = lossMask[index];
    if (value !== 0 && value !== 1) fail(`lossMask.${index}`, `must be 0 or 1, got ${String(value)}`);
    mask[index] = value;
  }

  let covered = 0;
  segments.forEach((segment, index) => {
    if (segment.start !== covered)
      fail(`segments.${index}.start`, `is ${segment.start} but the previous segment ended at ${covered}`);
    if (!(segment.end > segment.start))
      fail(`segments.${index}.end`, `must be greater than start ${segment.start}, got ${segment.end}`);
    if (segment.end > responseIds.length)
      fail(`segments.${index}.end`, `is ${segment.end}, past the response length ${responseIds.length}`);
    const expected = segment.kind === 'model' ? 1 : 0;
    for (let position = segment.start; position < segment.end; position += 1) {
      if (mask[position] !== expected) {
        fail(
          `lossMask.${position}`,
          `is ${String(mask[position])} inside a '${segment.kind}' segment (expected ${expected})`,
        );
      }
    }
    covered = segment.end;
  });
  if (covered !== responseIds.length) fail('segments', `cover ${covered} of ${responseIds.length} response tokens`);
  const joined = segments.map((segment) => segment.text).join('');
  if (joined !== text) fail('text', 'is not the concatenation of the segments\u2019 texts');
  if ((finishReason === 'error') !== (error !== undefined)) {
    fail(
      'error',
      finishReason === 'error'
        ? "is required when finishReason is 'error'"
        : `must be absent when finishReason is '${finishReason}'`,
    );
  }

  const logprobs = rolloutLogprobs === undefined ? undefined : checkRolloutLogprobs(rolloutLogprobs, mask);

  const trajectory: Trajectory = {
    promptIds: Object.freeze(promptIds.slice()),
    responseIds: Object.freeze(responseIds.slice()),
    lossMask: mask,
    segments: Object.freeze(segments.map((segment) => Object.freeze({ ...segment }))),
    text,
    finishReason,
    searches: Object.freeze(
      searches.map((search) =>
        Object.freeze({
          ...search,
          passages: Object.freeze(
            search.passages.map((passage) => Object.freeze({ ...passage })),
          ) as SearchRecord['passages'],
        }),
      ),
    ),
    ...(error === undefined ? {} : { error }),
    ...(logprobs === undefined ? {} : { rolloutLogprobs: logprobs }),
  };
  return Object.freeze(trajectory);
}

function checkRolloutLogprobs(values: Float32Array | readonly number[], mask: Uint8Array): Float32Array {
  if (values.length !== mask.length) {
    fail('rolloutLogprobs', `has ${values.length} entries but responseIds has ${mask.length}`);
  }
  const copy = Float32Array.from(values);
  copy.forEach((value, index) => {
    if (mask[index] === 1 && !Number.isFinite(value)) {
      fail(`rolloutLogprobs.${index}`, `is ${String(values[index])} on a generated token (expected a finite logprob)`);
    }
  });
  return copy;
}
