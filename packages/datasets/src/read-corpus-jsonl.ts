import type { Passage } from '@research-ts/spec';
import type { ReadOptions } from './read-stats';
import type { RecordStream } from './record-stream';
import { readJsonl } from './read-jsonl';
import { passageSchema } from './schemas';

/**
 * Streams a passage corpus: JSONL with one `{ id, contents }` per line, `contents` being `"Title"\ntext`
 * (FlashRAG's `wiki18_100w`, Search-R1's `wiki-18.jsonl`; gzip is read when the path ends in `.gz`).
 *
 * - `id` is a string in these corpora, but some tools write it as a number: a number becomes its decimal
 *   string (`0` → `'0'`), so ids compare equal whichever way they were written. An empty id is an error.
 * - `contents` must be a string (it may be empty). Other fields (`title`, `text` of BM25 dumps) are dropped.
 * - Duplicate ids are not checked (that would hold every id of a 21M-passage corpus in memory).
 *
 * Use `parsePassageContents` to split `contents` into title and text.
 */
export function readCorpusJsonl(path: string, options: ReadOptions = {}): RecordStream<Passage> {
  return readJsonl(path, passageSchema, options);
}
