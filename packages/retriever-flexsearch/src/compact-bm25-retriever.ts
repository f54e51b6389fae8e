import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { InvalidInputError, type Passage, type Retriever, type RetrieverSearchOptions } from '@research-ts/spec';
import { decodePassageOffset, passageOffsetBytes, readFullySync, verifyFileDigests } from '@research-ts/spec/node';
import type { Analyzer, AnalyzerSettings } from './analyzer';
import { bm25InverseDocumentFrequency, type Bm25Parameters } from './bm25';
import { compactIndexFiles, type CompactIndexManifest } from './compact-index-manifest';
import type { FlexsearchRetrieverStats } from './flexsearch-retriever';
import { searchBlockMax } from './block-max-search';
import { mismatchProblem } from './load-flexsearch-retriever';
import { PostingCursor, type LengthNormScale } from './posting-cursor';
import { TermAtATimeSearch, type ScoredQueryTerm } from './term-at-a-time-search';
import type { TermDictionary, TermEntry } from './term-dictionary';

/** What `openCompactIndex` hands the retriever: the parts of the index held in memory and the open files. */
export interface CompactIndexParts {
  directory: string;
  manifest: CompactIndexManifest;
  analyzer: Analyzer;
  bm25: Bm25Parameters;
  /** `[passages]` `k1 · (1 − b + b · dl / avgdl)`. */
  lengthNorms: Float64Array;
  /** `[passages]` rank of each passage's id in JavaScript `<` order. */
  idRanks: Uint32Array;
  dictionary: TermDictionary;
  files: { passages: FileHandle; passageOffsets: FileHandle; dictionary: FileHandle; postings: FileHandle };
}

/**
 * How a search walks the postings; both give the same results. `block-max`: document at a time with
 * MaxScore and block-max pruning (`block-max-search.ts`). `term-at-a-time`: the in-memory index's loop
 * (`term-at-a-time-search.ts`), which decodes every posting of a frequent term until max-score pruning
 * starts; kept to compare against.
 */
export const queryEvaluations = Object.freeze({
  'block-max': 'document at a time, MaxScore with block maxima',
  'term-at-a-time': "the in-memory index's term-at-a-time loop",
});
export type QueryEvaluation = keyof typeof queryEvaluations;

/** Verified dictionary blocks kept (a block is 64 terms, about 1 KiB). */
const cachedBlocks = 4096;
/** Verified posting lists kept, in bytes: the lists of frequent terms are read, and checked, once. */
const cachedPostingBytes = 64 * 2 ** 20;
/** Posting lists remembered as checked (forgotten all at once past this; 8 to 16 bytes each). */
const verifiedPostingsKept = 1 << 20;

/**
 * Exact BM25 over a compact index on disk (see `openCompactIndex`): the same scores, order and ties as
 * `FlexsearchRetriever` over the same corpus. In memory: one float64 length norm and one uint32 id rank per
 * passage, the dictionary's block index and caches of verified dictionary blocks (4096) and posting lists
 * (64 MiB, least recently used out); a search reads one dictionary block and the postings of each query term
 * unless cached, walks them document at a time with block-max pruning (`block-max-search.ts`), then reads
 * the `k` passages, each part checked against its CRC-32 when read.
 */
export class CompactBm25Retriever implements Retriever {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  private readonly parts: CompactIndexParts;
  private readonly lengthNormScale: LengthNormScale;
  /** Whether the postings carry block maxima (format version 2 on). */
  private readonly hasBlockMaxima: boolean;
  private readonly queryEvaluation: QueryEvaluation;
  /** One cursor per query term, reused across queries. */
  private readonly cursors: PostingCursor[] = [];
  /** Made on the first term-at-a-time search (12 bytes per passage). */
  private termAtATime: TermAtATimeSearch | undefined;
  private readonly blocks = new Map<number, Uint8Array>();
  /** Postings offset → the list's verified bytes, least recently used first. */
  private readonly postings = new Map<number, Uint32Array>();
  private postingBytesCached = 0;
  /** Offsets of the posting lists already checked against their CRC-32. */
  private readonly verifiedPostings = new Set<number>();
  private closed = false;

  /** @internal Use `openCompactIndex`. */
  constructor(
    parts: CompactIndexParts,
    name = 'flexsearch-bm25-compact',
    queryEvaluation: QueryEvaluation = 'block-max',
  ) {
    this.parts = parts;
    this.name = name;
    this.queryEvaluation = queryEvaluation;
    this.hasBlockMaxima = parts.manifest.version >= 2;
    const { passages, totalTerms } = parts.manifest;
    this.lengthNormScale = {
      k1: parts.bm25.k1,
      b: parts.bm25.b,
      averageLength: passages === 0 ? 0 : totalTerms / passages,
      smallestNorm: parts.lengthNorms.reduce((smallest, norm) => Math.min(smallest, norm), Number.POSITIVE_INFINITY),
    };
  }

  get stats(): FlexsearchRetrieverStats & { terms: number } {
    const { passages, totalTerms, terms } = this.parts.manifest;
    return { passages, totalTerms, averagePassageLength: passages === 0 ? 0 : totalTerms / passages, terms };
  }

  get analyzerSettings(): AnalyzerSettings {
    return this.parts.analyzer.settings;
  }

  get bm25(): Bm25Parameters {
    return { ...this.parts.bm25 };
  }

  /** The analyzed terms of `text`, as this index sees them. */
  analyze(text: string): string[] {
    return this.parts.analyzer.terms(text);
  }

  /** Reads every data file whole and checks its size and SHA-256 against the manifest; throws naming the first bad file. */
  async verify(): Promise<void> {
    const [mismatch] = await verifyFileDigests(this.parts.directory, this.parts.manifest.files);
    if (mismatch !== undefined)
      throw new InvalidInputError(mismatchProblem(mismatch), { source: mismatch.path }, { cause: mismatch.cause });
  }

  /** Closes the index files; searching afterwards throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(Object.values(this.parts.files).map((handle) => handle.close()));
  }

  /**
   * For each query, the `k` passages with the highest BM25 score among those that contain at least one
   * query term, best first; equal scores by id ascending. A query with no indexable term gives [].
   */
  async search(queries: readonly string[], k: number, options: RetrieverSearchOptions = {}): Promise<Passage[][]> {
    if (!Array.isArray(queries))
      throw new InvalidInputError('expected an array of query strings', { field: 'queries' });
    if (!Number.isInteger(k) || k < 0) {
      throw new InvalidInputError(`expected a non-negative integer, got ${String(k)}`, { field: 'k' });
    }
    queries.forEach((query, index) => {
      if (typeof query !== 'string') {
        throw new InvalidInputError(`expected a string, got ${typeof query}`, { field: `queries.${index}` });
      }
    });
    if (this.closed) throw new InvalidInputError('the index was closed', { source: this.parts.directory });
    options.signal?.throwIfAborted();
    const results: Passage[][] = [];
    for (const query of queries) {
      options.signal?.throwIfAborted();
      results.push(this.searchOne(query, k));
    }
    return results;
  }

  private searchOne(query: string, k: number): Passage[] {
    if (k === 0) return [];
    const queryTermCounts = new Map<string, number>();
    for (const term of this.parts.analyzer.terms(query))
      queryTermCounts.set(term, (queryTermCounts.get(term) ?? 0) + 1);
    if (queryTermCounts.size === 0) return [];

    // The in-memory index's terms, weights, bounds and order (a stable sort by bound, largest first), so
    // that each passage's score is the same sum in the same order.
    const documentCount = this.parts.manifest.passages;
    const { k1 } = this.parts.bm25;
    const entries = [...queryTermCounts.keys()].map((term) => this.lookup(term));
    const terms: ScoredQueryTerm[] = [];
    [...queryTermCounts.values()].forEach((queryCount, index) => {
      const entry = entries[index];
      if (entry === undefined) return;
      const weight = queryCount * bm25InverseDocumentFrequency(documentCount, entry.documentFrequency) * (k1 + 1);
      const highest = entry.highestFrequency;
      terms.push({
        weight,
        bound: (weight * highest) / (highest + this.lengthNormScale.smallestNorm),
        highestFrequency: highest,
        postings: this.readPostings(entry),
        label: `the postings at byte ${entry.postingsOffset}`,
      });
    });
    terms.sort((a, b) => b.bound - a.bound);

    let top: { documents: number[]; scores: number[] };
    try {
      top = this.queryEvaluation === 'block-max' ? this.searchBlockMax(terms, k) : this.searchTermAtATime(terms, k);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new InvalidInputError(
        `${error.message}: written by another version, or corrupt`,
        { source: this.path(compactIndexFiles.postings) },
        { cause: error },
      );
    }
    return top.documents.map((document, index) => ({ ...this.readPassage(document), score: top.scores[index]! }));
  }

  private searchBlockMax(terms: readonly ScoredQueryTerm[], k: number): { documents: number[]; scores: number[] } {
    while (this.cursors.length < terms.length) this.cursors.push(new PostingCursor());
    const cursors = this.cursors.slice(0, terms.length);
    const bounds = new Float64Array(terms.length);
    terms.forEach((term, index) => {
      cursors[index]!.reset(
        term.postings,
        this.hasBlockMaxima,
        term.weight,
        term.highestFrequency,
        this.lengthNormScale,
        term.label,
      );
      bounds[index] = term.bound;
    });
    const { lengthNorms, idRanks, manifest } = this.parts;
    return searchBlockMax(cursors, bounds, lengthNorms, Math.min(k, manifest.passages), idRanks);
  }

  private searchTermAtATime(terms: readonly ScoredQueryTerm[], k: number): { documents: number[]; scores: number[] } {
    this.termAtATime ??= new TermAtATimeSearch(this.parts.manifest.passages);
    return this.termAtATime.search(terms, k, this.parts.lengthNorms, this.parts.idRanks, this.hasBlockMaxima);
  }

  private path(name: string): string {
    return join(this.parts.directory, name);
  }

  /**
   * `length` bytes at `position` of an index file; a short read means the file was truncated. A synchronous
   * positional read: from the page cache it costs microseconds, where a trip through libuv's thread pool
   * cost about 0.3 ms per query (p50 0.44 against 0.11 ms at 20 000 passages); like a memory-mapped read,
   * it holds the thread while the disk answers.
   */
  private read(handle: FileHandle, name: string, position: number, length: number): Uint8Array {
    // Not zero-filled (every byte is read into), and an ArrayBuffer of its own, so aligned for Uint32Array.
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
    const read = readFullySync(handle.fd, bytes, position);
    if (read < length) {
      throw new InvalidInputError(
        `file ends at byte ${position + read}, inside a part that runs to byte ${position + length}: truncated after saving`,
        { source: this.path(name) },
      );
    }
    return bytes;
  }

  private corrupt(name: string, part: string): InvalidInputError {
    return new InvalidInputError(`checksum mismatch in ${part}: the file is corrupt or was changed after saving`, {
      source: this.path(name),
    });
  }

  private lookup(term: string): TermEntry | undefined {
    const { dictionary, files } = this.parts;
    const bytes = Buffer.from(term, 'utf8');
    const block = dictionary.findBlock(bytes);
    if (block < 0) return undefined;
    let data = this.blocks.get(block);
    if (data === undefined) {
      const location = dictionary.blockLocation(block);
      data = this.read(files.dictionary, compactIndexFiles.dictionary, location.offset, location.bytes);
      if (crc32(data) !== location.crc) throw this.corrupt(compactIndexFiles.dictionary, `term block ${block}`);
      if (this.blocks.size >= cachedBlocks) this.blocks.delete(this.blocks.keys().next().value!);
      this.blocks.set(block, data);
    }
    try {
      return dictionary.findInBlock(block, data, bytes);
    } catch (error) {
      throw new InvalidInputError(
        `term block ${block} cannot be decoded (${(error as Error).message}): written by another version, or corrupt`,
        { source: this.path(compactIndexFiles.dictionary) },
        { cause: error },
      );
    }
  }

  private readPostings(entry: TermEntry): Uint32Array {
    const cached = this.postings.get(entry.postingsOffset);
    if (cached !== undefined) {
      this.postings.delete(entry.postingsOffset);
      this.postings.set(entry.postingsOffset, cached);
      return cached;
    }
    const name = compactIndexFiles.postings;
    const bytes = this.read(this.parts.files.postings, name, entry.postingsOffset, entry.postingBytes);
    // Checked on the first read; a list read again after falling out of the cache is not checked again.
    if (!this.verifiedPostings.has(entry.postingsOffset)) {
      if (crc32(bytes) !== entry.postingsCrc) throw this.corrupt(name, `the postings at byte ${entry.postingsOffset}`);
      if (this.verifiedPostings.size >= verifiedPostingsKept) this.verifiedPostings.clear();
      this.verifiedPostings.add(entry.postingsOffset);
    }
    if (bytes.length % 4 !== 0)
      throw this.corrupt(name, `the postings at byte ${entry.postingsOffset} (not whole words)`);
    const words = new Uint32Array(bytes.buffer, 0, bytes.length / 4);
    if (bytes.length <= cachedPostingBytes / 4) {
      this.postings.set(entry.postingsOffset, words);
      this.postingBytesCached += bytes.length;
      for (const [offset, evicted] of this.postings) {
        if (this.postingBytesCached <= cachedPostingBytes) break;
        this.postings.delete(offset);
        this.postingBytesCached -= evicted.byteLength;
      }
    }
    return words;
  }

  private readPassage(document: number): { id: string; contents: string } {
    const { files } = this.parts;
    // The passage's entry and the next one, whose offset ends the line.
    const entries = this.read(
      files.passageOffsets,
      compactIndexFiles.passageOffsets,
      document * passageOffsetBytes,
      2 * passageOffsetBytes,
    );
    const { offset, crc } = decodePassageOffset(entries, 0);
    const length = decodePassageOffset(entries, 1).offset - offset;
    const badRange = !(length > 0 && length < 2 ** 31);
    const line = badRange ? new Uint8Array(0) : this.read(files.passages, compactIndexFiles.passages, offset, length);
    if (badRange || crc32(line) !== crc) {
      throw new InvalidInputError(
        `passage ${document}: its line in ${compactIndexFiles.passages} does not match its offset and checksum in ${compactIndexFiles.passageOffsets}: one of the two files is corrupt or was changed after saving (verify() names which)`,
        { source: this.path(compactIndexFiles.passages) },
      );
    }
    return JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.length).toString('utf8')) as {
      id: string;
      contents: string;
    };
  }
}
