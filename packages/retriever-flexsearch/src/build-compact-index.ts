import { InvalidConfigError, InvalidInputError, ResearchError } from '@research-ts/spec';
import { writeDirectoryAtomically } from '@research-ts/spec/node';
import { createAnalyzer, type AnalyzerOptions } from './analyzer';
import { resolveBm25Parameters, type Bm25Parameters } from './bm25';
import type { CompactIndexManifest } from './compact-index-manifest';
import { CompactIndexWriter } from './compact-index-writer';
import { checkPassageRecord, type PassageInput } from './create-flexsearch-retriever';
import { readCorpusFile, type ReadCorpusFileOptions, type SkippedLine } from './read-corpus-file';

export interface CompactIndexOptions {
  /** How text becomes terms (the same for passages and queries); see `createAnalyzer`. */
  analyzer?: AnalyzerOptions;
  /** BM25 parameters stored in the index; default k1 = 0.9, b = 0.4 (Pyserini's). */
  bm25?: Partial<Bm25Parameters>;
  /**
   * Bytes of postings and terms collected in memory before they are written as a sorted segment file
   * (default 256 MiB, at least 1 MiB); the segments are merged on disk at the end. The ids of all passages
   * are held besides (32–64 bytes per passage plus 2 per character of the id).
   */
  memoryBudgetBytes?: number;
}

export interface BuildCompactIndexOptions extends CompactIndexOptions, ReadCorpusFileOptions {}

export interface BuildCompactIndexResult {
  manifest: CompactIndexManifest;
  /** Passages indexed. */
  passages: number;
  /** Lines read, blank lines included. */
  lines: number;
  /** Number of malformed lines skipped. */
  skipped: number;
  /** The first 1000 skipped lines (every one went to `onSkip`). */
  skippedLines: SkippedLine[];
  /** Segment files written (and merged) while building. */
  segments: number;
}

const defaultMemoryBudgetBytes = 256 * 2 ** 20;

function writerOptions(options: CompactIndexOptions) {
  const memoryBudgetBytes = options.memoryBudgetBytes ?? defaultMemoryBudgetBytes;
  if (typeof memoryBudgetBytes !== 'number' || !Number.isFinite(memoryBudgetBytes) || memoryBudgetBytes < 2 ** 20) {
    throw new InvalidConfigError('memoryBudgetBytes', `expected a number ≥ 1 MiB, got ${String(memoryBudgetBytes)}`);
  }
  return {
    analyzer: createAnalyzer(options.analyzer),
    bm25: resolveBm25Parameters(options.bm25),
    memoryBudgetBytes,
  };
}

/** Runs `fill` on a new writer in a staging folder that becomes `directory` only when it finished. */
async function writeIndexFolder<T>(
  directory: string,
  options: CompactIndexOptions,
  fill: (writer: CompactIndexWriter) => Promise<T>,
): Promise<{ manifest: CompactIndexManifest; segments: number; filled: T }> {
  const resolved = writerOptions(options);
  let result: { manifest: CompactIndexManifest; segments: number; filled: T } | undefined;
  try {
    await writeDirectoryAtomically(directory, async (staging) => {
      const writer = await CompactIndexWriter.create(staging, resolved);
      try {
        const filled = await fill(writer);
        const manifest = await writer.finish();
        result = { manifest, segments: writer.segmentCount, filled };
      } catch (error) {
        await writer.abandon();
        throw error;
      }
    });
  } catch (error) {
    if (ResearchError.isInstance(error) || typeof (error as NodeJS.ErrnoException | undefined)?.code !== 'string')
      throw error;
    throw new ResearchError(`cannot write the index to ${directory}: ${(error as Error).message}`, { cause: error });
  }
  return result!;
}

/**
 * Streams a JSONL corpus (FlashRAG format, `.gz` too) into a compact index in `directory`, with bounded
 * memory: postings are written in sorted segments when `memoryBudgetBytes` fills, then merged on disk. The
 * folder appears complete or not at all (an existing index there is replaced). Malformed lines are skipped
 * and counted, or thrown, as by `indexCorpusFile`. Open the result with `openCompactIndex`.
 */
export async function buildCompactIndex(
  corpusPath: string,
  directory: string,
  options: BuildCompactIndexOptions = {},
): Promise<BuildCompactIndexResult> {
  const { manifest, segments, filled } = await writeIndexFolder(directory, options, (writer) =>
    readCorpusFile(corpusPath, options, writer),
  );
  return { manifest, passages: manifest.passages, segments, ...filled };
}

/**
 * Writes passages held in memory (or streamed from an iterable) as a compact index in `directory`. Throws
 * `InvalidInputError` naming the passage (`passages.3.id`) for a malformed passage or a repeated id.
 */
export async function writeCompactIndex(
  directory: string,
  passages: Iterable<PassageInput> | AsyncIterable<PassageInput>,
  options: CompactIndexOptions = {},
): Promise<CompactIndexManifest> {
  const { manifest } = await writeIndexFolder(directory, options, async (writer) => {
    let position = 0;
    for await (const passage of passages) {
      const checked = checkPassageRecord(passage);
      if (!checked.ok)
        throw new InvalidInputError(checked.reason, {
          field: `passages.${position}${checked.field === '' ? '' : `.${checked.field}`}`,
        });
      const earlier = writer.positionOf(checked.id);
      if (earlier !== undefined) {
        throw new InvalidInputError(`duplicate id ${JSON.stringify(checked.id)} (also passage ${earlier})`, {
          field: `passages.${position}.id`,
        });
      }
      await writer.add(checked.id, checked.contents);
      position += 1;
    }
  });
  return manifest;
}
