import { indexCorpusFile } from '@research-ts/retriever-flexsearch';
import { createProgress } from './progress';

export interface BuildIndexOptions {
  corpusFile: string;
  directory: string;
  /** Progress output on stderr (default true). */
  progress?: boolean;
}

export interface BuildIndexResult {
  passages: number;
  skipped: number;
  seconds: number;
}

/** `research-ts index`: indexes a FlashRAG corpus JSONL with the flexsearch BM25 retriever and saves it. */
export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexResult> {
  const started = performance.now();
  let progress: ReturnType<typeof createProgress> | undefined;
  const result = await indexCorpusFile(options.corpusFile, {
    progressInterval: 1000,
    onProgress: (update) => {
      progress ??= createProgress({ label: 'index (KiB)', total: Math.ceil(update.totalBytes / 1024), silent: options.progress === false });
      progress.update(Math.ceil(update.bytesRead / 1024), `${update.passages} passages`);
    },
  });
  progress?.stop();
  await result.retriever.save(options.directory);
  return { passages: result.passages, skipped: result.skipped, seconds: (performance.now() - started) / 1000 };
}
