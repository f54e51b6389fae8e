import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above `start` whose package.json declares workspaces. */
export function findRepositoryRoot(start: string): string {
  for (let directory = start; ; directory = dirname(directory)) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object))
      return directory;
    if (dirname(directory) === directory) throw new Error(`no workspace root above ${start}`);
  }
}

/**
 * FlashRAG's own 1000-passage sample corpus, kept beside the repository in `../shared/research-data` (CI keeps a
 * copy of `shared/` beside the clone); a missing file is an error, never a skipped suite.
 */
export function sharedSampleCorpusPath(start: string): string {
  const path = join(findRepositoryRoot(start), '..', 'shared', 'research-data', 'flashrag-sample', 'corpus.jsonl');
  if (!existsSync(path)) throw new Error(`the shared sample corpus is missing: expected ${path}`);
  return path;
}

export function readCorpus(path: string): Array<{ id: string; contents: string }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { id: string; contents: string });
}
