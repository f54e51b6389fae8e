import { InvalidInputError } from '@research-ts/spec';
import { createAnalyzer, type AnalyzerOptions } from './analyzer';
import { resolveBm25Parameters, type Bm25Parameters } from './bm25';
import { FlexsearchRetriever } from './flexsearch-retriever';
import { IndexBuilder } from './index-builder';

/** A corpus passage to index: FlashRAG's `{ id, contents }`, where `contents` is `"Title"\ntext`. */
export interface PassageInput {
  /** A string or a finite number (stored as its decimal string). */
  id: string | number;
  contents: string;
}

export interface FlexsearchRetrieverOptions {
  /** How text becomes terms (the same for passages and queries); see `createAnalyzer`. */
  analyzer?: AnalyzerOptions;
  /** BM25 parameters; default k1 = 0.9, b = 0.4 (Pyserini's). */
  bm25?: Partial<Bm25Parameters>;
  /** The retriever's `name` in logs (default `flexsearch-bm25`). */
  name?: string;
}

/**
 * Checks one corpus record and returns its id as a string, or a reason it is malformed (with the
 * offending field).
 */
export function checkPassageRecord(
  record: unknown,
): { ok: true; id: string; contents: string } | { ok: false; field: string; reason: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, field: '', reason: 'expected an object with "id" and "contents"' };
  }
  const { id, contents } = record as { id?: unknown; contents?: unknown };
  let idText: string;
  if (typeof id === 'string' && id !== '') idText = id;
  else if (typeof id === 'number' && Number.isFinite(id)) idText = String(id);
  else return { ok: false, field: 'id', reason: `expected a non-empty string or a finite number, got ${describe(id)}` };
  if (typeof contents !== 'string')
    return { ok: false, field: 'contents', reason: `expected a string, got ${describe(contents)}` };
  return { ok: true, id: idText, contents };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number') return String(value);
  return `a ${typeof value}`;
}

/**
 * Indexes passages held in memory. Throws `InvalidInputError` naming the passage (`passages.3.id`) for
 * a malformed passage or a repeated id.
 */
export function createFlexsearchRetriever(
  passages: Iterable<PassageInput>,
  options: FlexsearchRetrieverOptions = {},
): FlexsearchRetriever {
  const builder = new IndexBuilder(createAnalyzer(options.analyzer), resolveBm25Parameters(options.bm25));
  let position = 0;
  for (const passage of passages) {
    const checked = checkPassageRecord(passage);
    if (!checked.ok)
      throw new InvalidInputError(checked.reason, {
        field: `passages.${position}${checked.field === '' ? '' : `.${checked.field}`}`,
      });
    const earlier = builder.positionOf(checked.id);
    if (earlier !== undefined) {
      throw new InvalidInputError(`duplicate id ${JSON.stringify(checked.id)} (also passage ${earlier})`, {
        field: `passages.${position}.id`,
      });
    }
    builder.add(checked.id, checked.contents);
    position += 1;
  }
  return new FlexsearchRetriever(builder.finish(), options.name);
}
