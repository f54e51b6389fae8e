import type { Passage } from '@research-ts/spec';
import { pythonStrip } from './python-strip';

/**
 * The fixed parts of the block ReSearch appends after a search (`vllm_rollout.py`:
 * `f" <result>\n{result}\n</result>"`): a leading space, no newline before `<result>`, one newline
 * after it and one before `</result>`.
 */
export const RESULT_BLOCK = { open: ' <result>\n', close: '\n</result>' } as const;

/** What ReSearch's evaluation pipeline puts in the result block when the query is empty. */
export const NOTHING_TO_SEARCH = 'nothing to search';

/**
 * The text of the passages as ReSearch inserts it: the raw `contents` (FlashRAG `"Title"\ntext`
 * layout) joined by one blank line, then stripped with Python's `str.strip()`. No `Doc i` numbering.
 */
export function joinPassageContents(passages: readonly Pick<Passage, 'contents'>[]): string {
  return pythonStrip(passages.map((passage) => passage.contents).join('\n\n'));
}

/** Wraps already-joined result text: `" <result>\n" + text + "\n</result>"`. */
export function wrapResultText(text: string): string {
  return RESULT_BLOCK.open + text + RESULT_BLOCK.close;
}

/** The block appended after a search, exactly as ReSearch inserts it: `wrapResultText(joinPassageContents(passages))`. */
export function formatResultBlock(passages: readonly Pick<Passage, 'contents'>[]): string {
  return wrapResultText(joinPassageContents(passages));
}

/**
 * Whether a query (from {@link extractSearchQuery}) gives nothing to search: `undefined` (no
 * `<search>` before the last `</search>`) or blank under Python's strip. ReSearch's evaluation
 * pipeline (`ReSearchPipeline`) does not retrieve for such a query; its training rollout sends the
 * empty string to the retriever as is.
 */
export function isNothingToSearch(query: string | undefined): boolean {
  return query === undefined || pythonStrip(query) === '';
}

/**
 * The result block for a query, with ReSearch's evaluation behaviour for an empty query: the block
 * then reads `" <result>\nnothing to search\n</result>"` and `passages` is ignored (pass `[]`; no
 * retrieval is needed). Otherwise it is {@link formatResultBlock} of the passages.
 */
export function formatResultBlockForQuery(
  query: string | undefined,
  passages: readonly Pick<Passage, 'contents'>[],
): string {
  return wrapResultText(isNothingToSearch(query) ? NOTHING_TO_SEARCH : joinPassageContents(passages));
}
