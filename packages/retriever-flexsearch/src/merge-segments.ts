import { crc32 } from 'node:zlib';
import type { AppendingFile } from './appending-file';
import { ByteReader } from './byte-writer';
import { encodePostingBlocks } from './posting-blocks';
import { decodePostings } from './posting-codec';
import { SegmentReader, type SegmentTerm } from './segment-reader';
import type { TermDictionaryWriter } from './term-dictionary';

/**
 * K-way merge of sorted segment files (segment `i` holds documents before those of segment `i + 1`): for
 * each term in ascending byte order, its lists from every segment that has it are decoded and joined in
 * segment order, written to `postings` in blocks with their maxima (`posting-blocks.ts`; `documentLengths`:
 * `[passages]` analyzed lengths), and the term is added to the dictionary. Memory: one read window per
 * segment, the postings of one term and the lengths. Returns the number of terms.
 */
export async function mergeSegments(
  segmentPaths: readonly string[],
  postings: AppendingFile,
  dictionary: TermDictionaryWriter,
  documentLengths: Uint32Array,
): Promise<number> {
  const readers = await Promise.all(segmentPaths.map((path) => SegmentReader.open(path)));
  try {
    const heads: Array<SegmentTerm | undefined> = await Promise.all(readers.map((reader) => reader.next()));
    // A binary heap of segment numbers, by head term then segment number.
    const before = (a: number, b: number): boolean => {
      const order = Buffer.compare(heads[a]!.term, heads[b]!.term);
      return order < 0 || (order === 0 && a < b);
    };
    const heap: number[] = [];
    const push = (segment: number): void => {
      heap.push(segment);
      for (let position = heap.length - 1; position > 0;) {
        const parent = (position - 1) >> 1;
        if (!before(heap[position]!, heap[parent]!)) break;
        [heap[position], heap[parent]] = [heap[parent]!, heap[position]!];
        position = parent;
      }
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        for (let position = 0; ;) {
          const left = 2 * position + 1;
          if (left >= heap.length) break;
          const right = left + 1;
          const first = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
          if (!before(heap[first]!, heap[position]!)) break;
          [heap[position], heap[first]] = [heap[first]!, heap[position]!];
          position = first;
        }
      }
      return top;
    };
    heads.forEach((head, segment) => head !== undefined && push(segment));

    let documents = new Int32Array(1 << 16);
    let frequencies = new Uint32Array(1 << 16);
    while (heap.length > 0) {
      let segment = pop();
      const term = heads[segment]!.term;
      let count = 0;
      let highestFrequency = 0;
      for (;;) {
        const head = heads[segment]!;
        if (count + head.documentFrequency > documents.length) {
          const capacity = Math.max(2 * documents.length, count + head.documentFrequency);
          const grownDocuments = new Int32Array(capacity);
          grownDocuments.set(documents.subarray(0, count));
          documents = grownDocuments;
          const grownFrequencies = new Uint32Array(capacity);
          grownFrequencies.set(frequencies.subarray(0, count));
          frequencies = grownFrequencies;
        }
        count = decodePostings(new ByteReader(head.postings), documents, frequencies, count);
        highestFrequency = Math.max(highestFrequency, head.highestFrequency);
        heads[segment] = await readers[segment]!.next();
        if (heads[segment] !== undefined) push(segment);
        if (heap.length === 0 || Buffer.compare(heads[heap[0]!]!.term, term) !== 0) break;
        segment = pop();
      }
      const words = encodePostingBlocks(documents, frequencies, count, documentLengths);
      const documentFrequency = count;
      const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
      const postingsOffset = postings.bytes;
      await postings.write(bytes);
      await dictionary.add(term, {
        documentFrequency,
        highestFrequency,
        postingsOffset,
        postingBytes: bytes.length,
        postingsCrc: crc32(bytes),
      });
    }
    return dictionary.termCount;
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
}
