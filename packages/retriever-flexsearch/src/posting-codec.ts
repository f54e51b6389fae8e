import type { ByteReader, ByteWriter } from './byte-writer';

/**
 * A posting list in a segment file (while a compact index is built): for each document that holds the term,
 * in ascending order, two varints: the gap `document − previous − 1` (previous = −1 before the first) and the term's
 * frequency in it. Delta + varint (LEB128): 1 byte for a gap or frequency below 128.
 */

/** Writes the postings `documents[from…to)` / `frequencies[from…to)` (documents ascending) after `previous`. */
export function encodePostings(
  writer: ByteWriter,
  documents: ArrayLike<number>,
  frequencies: ArrayLike<number>,
  from: number,
  to: number,
  previous = -1,
): void {
  for (let index = from; index < to; index += 1) {
    const document = documents[index]!;
    writer.varint(document - previous - 1);
    writer.varint(frequencies[index]!);
    previous = document;
  }
}

/**
 * Decodes a list written by {@link encodePostings} (after −1) into `documents` / `frequencies` from index
 * `at` (the arrays must have room); returns the index after the last posting.
 */
export function decodePostings(
  postings: ByteReader,
  documents: Int32Array,
  frequencies: Uint32Array,
  at: number,
): number {
  let previous = -1;
  while (!postings.done) {
    previous += postings.varint() + 1;
    documents[at] = previous;
    frequencies[at] = postings.varint();
    at += 1;
  }
  return at;
}
