import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { jsonLineError, readJsonLines, writeFileAtomically } from '@research-ts/spec/node';
import type { Prediction } from '@research-ts/training';

/** One line of the predictions JSONL that `research-ts eval` writes. */
export type PredictionRow = Prediction & { dataset: string; judgement?: string };

/** The key of a question in a predictions file: ids repeat across datasets (`test_0`), so the dataset is part of it. */
export const predictionKey = (dataset: string, id: string): string => JSON.stringify([dataset, id]);

/** A predictions JSONL written one line per finished question, so that a stopped evaluation keeps what it did. */
export interface PredictionLog {
  readonly path: string;
  /**
   * With `resume`: the rows already in the file by {@link predictionKey}, except those whose search failed
   * (`finishReason: 'error'`), which are asked again.
   */
  readonly answered: ReadonlyMap<string, PredictionRow>;
  /** Appends one row as ONE write of one line, so a crash leaves whole lines and at most a torn last one. */
  append(row: PredictionRow): void;
  /** Replaces the file with `rows` (written beside it, then renamed over it: spec's `writeFileAtomically`). */
  replace(rows: readonly PredictionRow[]): Promise<void>;
}

/**
 * Opens the predictions file of an evaluation. Without `resume` it starts empty (an old file is
 * replaced); with `resume` the file must exist, and its rows are read back (a bad last line the file ends
 * inside, torn by a crash, is dropped; any other bad line is an `InvalidInputError` naming the file and line).
 */
export async function openPredictionLog(path: string, options: { resume: boolean }): Promise<PredictionLog> {
  const replace = (rows: readonly PredictionRow[]) =>
    writeFileAtomically(
      path,
      rows.map((row) => `${JSON.stringify(row)}\n`),
    );
  const answered = new Map<string, PredictionRow>();
  if (options.resume) {
    if (!existsSync(path))
      throw new InvalidConfigError(
        'output',
        `${path} does not exist: there is nothing to resume (leave out --resume to start the evaluation)`,
      );
    for (const row of await readPredictionRows(path))
      if (row.finishReason !== 'error') answered.set(predictionKey(row.dataset, row.id), row);
    // written back whole, so that the next line is not appended to a torn one
    await replace([...answered.values()]);
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '');
  }
  return { path, answered, append: (row) => appendFileSync(path, `${JSON.stringify(row)}\n`), replace };
}

async function readPredictionRows(path: string): Promise<PredictionRow[]> {
  const rows: PredictionRow[] = [];
  for await (const line of readJsonLines(path)) {
    if (!line.ok) {
      if (line.truncated) continue; // a line torn by a crash
      throw jsonLineError(path, line);
    }
    const record = line.value as Partial<PredictionRow> | null;
    for (const field of ['id', 'dataset'] as const) {
      if (typeof record?.[field] !== 'string')
        throw new InvalidInputError('expected a string', { source: path, line: line.line, field });
    }
    rows.push({ ...(record as PredictionRow), failedSearches: record!.failedSearches ?? 0 });
  }
  return rows;
}
