import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  checkQuantizedDimension,
  createDenseRetriever,
  type DenseRetriever,
  type EmbeddingModel,
  type HnswQuantization,
} from '@research-ts/retriever-dense';
import {
  buildCompactIndex,
  indexCorpusFile,
  readCorpusFile,
  type CorpusSink,
  type ReadCorpusFileOptions,
  type SkippedLine,
} from '@research-ts/retriever-flexsearch';
import { InvalidConfigError, InvalidInputError, ResearchError, type Passage } from '@research-ts/spec';
import { loadEmbeddingModelOf, type EmbeddingModelSource } from './open-retriever';
import { createProgress } from './progress';

export interface BuildIndexOptions {
  corpusFile: string;
  directory: string;
  /** Progress output on stderr (default true). */
  progress?: boolean;
  /** Stop at the first malformed line (an `InvalidInputError` naming the file and line) instead of skipping it. */
  strict?: boolean;
  /**
   * Write the compact on-disk layout (`buildCompactIndex`: streamed in memory-bounded segments, opened without
   * reading it whole; for corpora of millions of passages) instead of the in-memory one. Both give the same results.
   */
  compact?: boolean;
  /**
   * Write a dense index instead (retriever-dense, an HNSW graph): every passage encoded by this embedding model,
   * which `serve-retriever`, `eval` and `train` then need to encode the queries.
   */
  embeddingModel?: EmbeddingModelSource;
  /** With `embeddingModel`: how the HNSW graph stores its vectors (default `f32`; candidates are rescored exactly). */
  quantization?: HnswQuantization;
}

export interface BuildIndexResult {
  passages: number;
  /** Malformed lines skipped (0 with `strict`). */
  skipped: number;
  /** The first 1000 skipped lines: file, line, field and reason. */
  skippedLines: SkippedLine[];
  seconds: number;
}

/** The first byte of a file that is not whitespace, or undefined (an empty or unreadable file). */
async function firstSignificantCharacter(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return /\S/.exec(buffer.toString('latin1', 0, bytesRead).replace(/^\xef\xbb\xbf/, ''))?.[0];
  } finally {
    await handle.close();
  }
}

/**
 * `research-ts index`: indexes a FlashRAG corpus JSONL with the flexsearch BM25 retriever and saves it.
 * Fails before reading the corpus when `directory` is a file, and refuses to write an index of 0 passages.
 */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexResult> {
  const started = performance.now();
  const existing = await stat(options.directory).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new ResearchError(`cannot write the index to ${options.directory}: it is a file, not a folder`);
  }
  let progress: ReturnType<typeof createProgress> | undefined;
  const readOptions = {
    onError: options.strict === true ? ('throw' as const) : ('skip' as const),
    progressInterval: 1000,
    onProgress: (update: { bytesRead: number; totalBytes: number; passages: number }) => {
      progress ??= createProgress({
        label: 'index (KiB)',
        total: Math.ceil(update.totalBytes / 1024),
        silent: options.progress === false,
      });
      progress.update(Math.ceil(update.bytesRead / 1024), `${update.passages} passages`);
    },
  };
  // The compact and dense layouts are written beside the target first, so that a corpus with no passages (or a
  // failed build) replaces nothing.
  const building = join(dirname(options.directory), `.${basename(options.directory)}.building-${process.pid}`);
  if (options.embeddingModel !== undefined && options.compact === true)
    throw new InvalidConfigError('compact', 'is a lexical layout; a dense index (embeddingModel) has its own');
  if (options.quantization !== undefined && options.embeddingModel === undefined)
    throw new InvalidConfigError('quantization', 'applies to a dense index (give embeddingModel)');
  if (options.embeddingModel !== undefined) {
    // The model is loaded and checked before the corpus is read, so that a wrong folder or option fails at once.
    const model = await loadEmbeddingModelOf(options.embeddingModel);
    try {
      if (options.quantization !== undefined)
        checkQuantizedDimension(options.quantization, model.dimension, 'quantization');
      const read = await readPassages(options.corpusFile, readOptions).finally(() => progress?.stop());
      if (read.passages === 0) await refuseEmptyCorpus(options.corpusFile, read);
      checkEncodable(options.corpusFile, read.passages, model.dimension);
      await writeDenseIndex(read.passageList, model, options, building).catch(async (error: unknown) => {
        await rm(building, { recursive: true, force: true });
        throw error;
      });
      await replaceDirectory(building, options.directory);
      return {
        passages: read.passages,
        skipped: read.skipped,
        skippedLines: read.skippedLines,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      await model.dispose();
    }
  }
  const result =
    options.compact === true
      ? await buildCompactIndex(options.corpusFile, building, readOptions).finally(() => progress?.stop())
      : await indexCorpusFile(options.corpusFile, readOptions).finally(() => progress?.stop());
  if (result.passages === 0) {
    await rm(building, { recursive: true, force: true });
    await refuseEmptyCorpus(options.corpusFile, result);
  }
  if ('retriever' in result) await result.retriever.save(options.directory);
  else await replaceDirectory(building, options.directory);
  return {
    passages: result.passages,
    skipped: result.skipped,
    skippedLines: result.skippedLines,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The error for a corpus of no passages: what its lines were, and a hint when the file is a JSON array. */
async function refuseEmptyCorpus(
  corpusFile: string,
  result: { lines: number; skipped: number; skippedLines: SkippedLine[] },
): Promise<never> {
  const isArray = !corpusFile.endsWith('.gz') && (await firstSignificantCharacter(corpusFile)) === '[';
  const hint = isArray
    ? '; the file is a JSON array, but a corpus is JSONL: one {"id", "contents"} object per line'
    : '';
  const first = result.skippedLines[0];
  const problem =
    first === undefined
      ? 'the file has no lines but blank ones'
      : `${result.skipped} of its ${result.lines} lines are malformed (the first, line ${first.line}${first.field === '' ? '' : `, field "${first.field}"`}: ${first.reason})${hint}`;
  throw new InvalidInputError(`holds no passages to index: ${problem}`, { source: corpusFile });
}

/**
 * A dense build holds every passage vector in one float32 array, which Node caps at 2³² − 1 values (about 5.5M
 * passages at dimension 768); a larger corpus is refused before any encoding.
 */
function checkEncodable(corpusFile: string, passages: number, dimension: number): void {
  const limit = 2 ** 32 - 1;
  if (passages * dimension <= limit) return;
  throw new InvalidInputError(
    `holds ${passages} passages; at dimension ${dimension} their vectors exceed the ${limit} float32 values one array may hold (at most ${Math.floor(limit / dimension)} passages): build the dense index from parts of the corpus, or with retriever-dense from precomputed embeddings`,
    { source: corpusFile },
  );
}

/** Moves `built` onto `target`; an index already there is removed only once the new one is in place. */
async function replaceDirectory(built: string, target: string): Promise<void> {
  const previous = `${built}.previous`;
  const existed = await stat(target).then(
    () => true,
    () => false,
  );
  if (existed) await rename(target, previous);
  await rename(built, target);
  if (existed) await rm(previous, { recursive: true, force: true });
}

/** Reads a corpus file's passages into memory, with the same checks and skipping as the lexical builds. */
async function readPassages(
  corpusFile: string,
  options: ReadCorpusFileOptions,
): Promise<{ passages: number; lines: number; skipped: number; skippedLines: SkippedLine[]; passageList: Passage[] }> {
  const passageList: Passage[] = [];
  const positions = new Map<string, number>();
  const sink: CorpusSink = {
    get size() {
      return passageList.length;
    },
    positionOf: (id) => positions.get(id),
    add(id, contents) {
      positions.set(id, passageList.length);
      passageList.push({ id, contents });
    },
  };
  const read = await readCorpusFile(corpusFile, options, sink);
  return { ...read, passages: passageList.length, passageList };
}

/** Encodes the passages with the embedding model, builds the HNSW graph and saves the dense index to `directory`. */
async function writeDenseIndex(
  passages: Passage[],
  model: EmbeddingModel,
  options: BuildIndexOptions,
  directory: string,
): Promise<void> {
  const progress = createProgress({ label: 'encode', total: passages.length, silent: options.progress === false });
  let retriever: DenseRetriever | undefined;
  try {
    retriever = await createDenseRetriever({
      model,
      passages,
      index: 'hnsw',
      ...(options.quantization === undefined ? {} : { quantization: options.quantization }),
      onProgress: ({ done }) => progress.update(done, 'passages'),
    });
    await retriever.save(directory);
  } finally {
    progress.stop();
    await retriever?.dispose();
  }
}
