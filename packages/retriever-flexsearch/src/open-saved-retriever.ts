import { join } from 'node:path';
import type { CompactBm25Retriever } from './compact-bm25-retriever';
import { compactIndexFormat } from './compact-index-manifest';
import type { FlexsearchRetriever } from './flexsearch-retriever';
import { manifestFileName } from './index-manifest';
import { loadFlexsearchRetriever, type LoadFlexsearchRetrieverOptions } from './load-flexsearch-retriever';
import { openCompactIndex } from './open-compact-index';
import { readManifestFile } from './read-manifest-file';

/**
 * Opens a saved index of either layout, by its manifest's `format`: a compact index with `openCompactIndex`
 * (on disk, opened lazily), anything else with `loadFlexsearchRetriever` (read whole into memory; it reports
 * a manifest it cannot read).
 */
export async function openSavedRetriever(
  directory: string,
  options: LoadFlexsearchRetrieverOptions = {},
): Promise<FlexsearchRetriever | CompactBm25Retriever> {
  const manifest = await readManifestFile(join(directory, manifestFileName));
  const format =
    typeof manifest === 'object' && manifest !== null ? (manifest as { format?: unknown }).format : undefined;
  return format === compactIndexFormat
    ? openCompactIndex(directory, options)
    : loadFlexsearchRetriever(directory, options);
}
