/**
 * The two posting codecs of the compact index on the same postings: the generated corpus's posting lists,
 * encoded as delta + varint (`posting-codec.ts`, the segment files' codec) and as bit-packed blocks
 * (`posting-blocks.ts`, `postings.bin`'s); prints bytes per posting and decoding speed of each.
 *
 *   node --import tsx bench/posting-codec.bench.ts      (BENCH_PASSAGES, default 200 000)
 */
import { ByteReader, ByteWriter } from '../src/byte-writer';
import { createAnalyzer } from '../src/analyzer';
import { PassageTermCounter } from '../src/passage-term-counter';
import { PostingBlockReader, encodePostingBlocks } from '../src/posting-blocks';
import { decodePostings, encodePostings } from '../src/posting-codec';
import { TermTable } from '../src/term-table';
import { generateCorpus } from './generate-corpus';

const passageCount = Number(process.env.BENCH_PASSAGES ?? 200_000);
const analyzer = createAnalyzer();
const terms = new TermTable();
const counter = new PassageTermCounter();
const lists: Array<{ documents: number[]; frequencies: number[] }> = [];
const documentLengths = new Uint32Array(passageCount);
let document = 0;
for (const passage of generateCorpus({ passages: passageCount, seed: 1 })) {
  documentLengths[document] = counter.countTerms(analyzer, terms, passage.contents);
  for (let index = 0; index < counter.distinctCount; index += 1) {
    const number = counter.distinctNumbers[index]!;
    const list = (lists[number] ??= { documents: [], frequencies: [] });
    list.documents.push(document);
    list.frequencies.push(counter.frequencies[index]!);
  }
  document += 1;
}
const postings = lists.reduce((sum, list) => sum + list.documents.length, 0);
const varints = lists.map(({ documents, frequencies }) => {
  const writer = new ByteWriter(16);
  encodePostings(writer, documents, frequencies, 0, documents.length);
  return writer.view().slice();
});
const blocks = lists.map(({ documents, frequencies }) =>
  encodePostingBlocks(
    Int32Array.from(documents),
    Uint32Array.from(frequencies),
    documents.length,
    documentLengths,
  ).slice(),
);
const varintBytes = varints.reduce((sum, bytes) => sum + bytes.length, 0);
const blockBytes = blocks.reduce((sum, words) => sum + words.byteLength, 0);

const longest = lists.reduce((most, list) => Math.max(most, list.documents.length), 0);
const documents = new Int32Array(longest);
const frequencies = new Uint32Array(longest);
const reader = new PostingBlockReader();
const decoders = {
  'delta + varint (ByteReader)': () => {
    let check = 0;
    for (const bytes of varints) check += decodePostings(new ByteReader(bytes), documents, frequencies, 0);
    return check;
  },
  'delta + varint (inline loop)': () => {
    let check = 0;
    for (const bytes of varints) {
      let position = 0;
      let previous = -1;
      let count = 0;
      while (position < bytes.length) {
        let byte = bytes[position++]!;
        let gap = byte & 0x7f;
        for (let shift = 7; byte >= 0x80; shift += 7) {
          byte = bytes[position++]!;
          gap |= (byte & 0x7f) << shift;
        }
        byte = bytes[position++]!;
        let frequency = byte & 0x7f;
        for (let shift = 7; byte >= 0x80; shift += 7) {
          byte = bytes[position++]!;
          frequency |= (byte & 0x7f) << shift;
        }
        previous += gap + 1;
        documents[count] = previous;
        frequencies[count] = frequency;
        count += 1;
      }
      check += count;
    }
    return check;
  },
  'bit-packed blocks': () => {
    let check = 0;
    for (const words of blocks) {
      reader.reset(words);
      for (let block = 0; block < reader.blockCount; block += 1) check += reader.decode(block);
    }
    return check;
  },
};
console.log(`${passageCount} passages, ${terms.size} terms, ${postings} postings`);
console.log(
  `bytes per posting: delta + varint ${(varintBytes / postings).toFixed(2)}, bit-packed blocks ${(blockBytes / postings).toFixed(2)}`,
);
for (let round = 0; round < 3; round += 1) {
  for (const [name, decode] of Object.entries(decoders)) {
    const start = performance.now();
    const decoded = decode();
    const milliseconds = performance.now() - start;
    if (decoded !== postings) throw new Error(`${name} decoded ${decoded} postings, expected ${postings}`);
    console.log(`round ${round}: ${name} ${(postings / milliseconds / 1000).toFixed(0)} M postings/s`);
  }
}
