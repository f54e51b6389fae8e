import { runRetrieverConformance } from '@research-ts/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFlexsearchRetriever } from './create-flexsearch-retriever';
import { loadFlexsearchRetriever } from './load-flexsearch-retriever';

runRetrieverConformance({
  name: 'createFlexsearchRetriever',
  createRetriever: (passages) => createFlexsearchRetriever(passages),
  supportsScores: true,
});

const directories: string[] = [];
runRetrieverConformance({
  name: 'loadFlexsearchRetriever (after save)',
  createRetriever: async (passages) => {
    const directory = mkdtempSync(join(tmpdir(), 'retriever-flexsearch-conformance-'));
    directories.push(directory);
    await createFlexsearchRetriever(passages).save(directory);
    return loadFlexsearchRetriever(directory);
  },
  disposeRetriever: () => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  },
  supportsScores: true,
});
