import type { SkippedLine } from '@research-ts/retriever-flexsearch';

/**
 * One message per skipped corpus line (`corpus.jsonl, line 3, field "id": expected …`), the first `limit`
 * (default 20) of them, then how many more were skipped. `total` counts every skipped line, also those
 * not kept in `skipped`.
 */
export function formatSkippedLines(skipped: readonly SkippedLine[], total: number, limit = 20): string[] {
  const shown = skipped
    .slice(0, limit)
    .map(
      ({ source, line, field, reason }) =>
        `${source}, line ${line}${field === '' ? '' : `, field "${field}"`}: ${reason}`,
    );
  const more = total - shown.length;
  return more > 0 ? [...shown, `… and ${more} more malformed line${more === 1 ? '' : 's'}`] : shown;
}
