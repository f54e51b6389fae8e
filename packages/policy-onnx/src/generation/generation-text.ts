import { InvalidInputError, type Tokenizer } from '@research-ts/spec';
import { createStreamingDecoder } from '@research-ts/tokenizer';

/** What one new token did to the text of a generation. */
export interface TextStep {
  /** New text (possibly `''` while a character waits for bytes of later tokens). */
  delta: string;
  /** The stop string the text now ends with, when one completed. */
  stopString?: string;
}

/**
 * The text of one generation, token by token, with stop-string detection across token boundaries.
 * Ids go through the tokenizer's streaming decoder; after each delta the text is searched from
 * `maxStopLength - 1` characters before the delta, so a stop string split over several tokens is
 * found. On a match the text is cut right after the earliest-ending stop string (the stop string is
 * kept; any text the same token brought after it is dropped) and `stopString` is set.
 */
export class GenerationText {
  #text = '';
  readonly #decoder;
  readonly #stopStrings: readonly string[];
  readonly #longest: number;

  constructor(tokenizer: Pick<Tokenizer, 'decode'>, stopStrings: readonly string[] = []) {
    for (const [index, stop] of stopStrings.entries()) {
      if (typeof stop !== 'string' || stop === '')
        throw new InvalidInputError(`must be a non-empty string, got ${JSON.stringify(stop)}`, {
          source: 'GenerateRequest.stopStrings',
          field: String(index),
        });
    }
    this.#decoder = createStreamingDecoder(tokenizer);
    this.#stopStrings = stopStrings;
    this.#longest = Math.max(0, ...stopStrings.map((stop) => stop.length));
  }

  get text(): string {
    return this.#text;
  }

  push(id: number): TextStep {
    const delta = this.#decoder.push(id);
    if (delta === '') return { delta };
    const before = this.#text.length;
    const text = this.#text + delta;
    const from = Math.max(0, before - this.#longest + 1);
    let end = Infinity;
    let stopString: string | undefined;
    for (const stop of this.#stopStrings) {
      const at = text.indexOf(stop, from);
      if (at >= 0 && at + stop.length < end) {
        end = at + stop.length;
        stopString = stop;
      }
    }
    if (stopString === undefined) {
      this.#text = text;
      return { delta };
    }
    this.#text = text.slice(0, end);
    return { delta: text.slice(before, end), stopString };
  }

  /** The text still held back by the streaming decoder (at the end of a generation). */
  finish(): string {
    const rest = this.#decoder.flush();
    this.#text += rest;
    return rest;
  }
}
