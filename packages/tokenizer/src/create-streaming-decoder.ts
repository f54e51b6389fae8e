import type { Tokenizer } from '@research-ts/spec';

export interface StreamingDecoderOptions {
  /** Passed to every `decode` call; special tokens then add no text. */
  skipSpecialTokens?: boolean;
}

/** Turns token ids, one at a time, into text deltas whose concatenation is the text of all the ids. */
export interface StreamingDecoder {
  /** Adds one id; returns the text it completes (often `''` while a character is still partial). */
  push(id: number): string;
  /** Returns the text still held back (a trailing partial character decodes to U+FFFD) and resets. */
  flush(): string;
}

const replacementCharacter = '\uFFFD';

/**
 * An incremental detokenizer for any `Tokenizer` (the "prefix offset / read offset" technique of
 * text-generation servers). It keeps a window of ids: the ids of the last emitted delta (context, so
 * that decoders which drop a leading space, or merge bytes across tokens, see their neighbours) and
 * the ids not yet emitted. On each push it decodes the window and the context alone; when the window
 * decodes longer than the context and does not end in U+FFFD (a UTF-8 character still waiting for
 * bytes from later tokens), the difference is emitted and the window slides forward.
 *
 * For byte-level BPE tokenizers without `clean_up_tokenization_spaces` the concatenated deltas equal
 * `decode(ids)` exactly, and no delta contains U+FFFD unless the ids themselves spell invalid UTF-8.
 * Cost: two `decode` calls over a few ids per emitted delta.
 */
export function createStreamingDecoder(
  tokenizer: Pick<Tokenizer, 'decode'>,
  options: StreamingDecoderOptions = {},
): StreamingDecoder {
  const decodeOptions = { skipSpecialTokens: options.skipSpecialTokens ?? false };
  let window: number[] = [];
  /** `window[0..readIndex)` are context ids whose text was already emitted. */
  let readIndex = 0;
  /** `decode(window.slice(0, readIndex))`. */
  let contextText = '';

  return {
    push(id) {
      window.push(id);
      let text: string;
      try {
        text = tokenizer.decode(window, decodeOptions);
      } catch (error) {
        window.pop(); // a rejected id (e.g. negative) leaves the stream as it was
        throw error;
      }
      if (text.length <= contextText.length || text.endsWith(replacementCharacter)) return '';
      const delta = text.slice(contextText.length);
      window = window.slice(readIndex);
      readIndex = window.length;
      contextText = tokenizer.decode(window, decodeOptions);
      return delta;
    },
    flush() {
      const text = window.length > readIndex ? tokenizer.decode(window, decodeOptions) : contextText;
      const delta = text.length > contextText.length ? text.slice(contextText.length) : '';
      window = [];
      readIndex = 0;
      contextText = '';
      return delta;
    },
  };
}
