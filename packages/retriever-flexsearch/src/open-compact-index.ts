import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { passageOffsetBytes } from '@research-ts/spec/node';
import { createAnalyzer, type Analyzer } from './analyzer';
import { bm25LengthNorms, resolveBm25Parameters, type Bm25Parameters } from './bm25';
import {
  CompactBm25Retriever,
  queryEvaluations,
  type CompactIndexParts,
  type QueryEvaluation,
} from './compact-bm25-retriever';
import {
  compactIndexFiles,
  compactIndexFormat,
  compactIndexFormatVersion,
  compactIndexReadableVersions,
  type CompactIndexManifest,
} from './compact-index-manifest';
import { indexFormat, manifestFileName } from './index-manifest';
import {
  checkManifestFiles,
  isCount,
  isRecord,
  type Fail,
  type LoadFlexsearchRetrieverOptions,
} from './load-flexsearch-retriever';
import { readManifestFile } from './read-manifest-file';
import { TermDictionary } from './term-dictionary';
import { uint32Values } from './uint32-values';

export interface OpenCompactIndexOptions extends LoadFlexsearchRetrieverOptions {
  /**
   * How a search walks the postings (default `block-max`); both give the same results, and
   * `term-at-a-time` is there to compare speed against (see `queryEvaluations`).
   */
  queryEvaluation?: QueryEvaluation;
}

/** Checks a compact manifest's shape field by field; the format and version first. */
export function checkCompactManifest(value: unknown, fail: Fail): CompactIndexManifest {
  if (!isRecord(value)) fail('expected a JSON object');
  if (value.format === indexFormat)
    fail('an in-memory flexsearch index: load it with loadFlexsearchRetriever (or openSavedRetriever)', 'format');
  if (value.format !== compactIndexFormat) {
    fail(
      `not a research-ts compact index (format ${JSON.stringify(value.format)}, expected ${JSON.stringify(compactIndexFormat)})`,
      'format',
    );
  }
  if (!compactIndexReadableVersions.includes(value.version as number)) {
    fail(
      `compact index version ${JSON.stringify(value.version)} is not supported: this build of @research-ts/retriever-flexsearch reads versions ${compactIndexReadableVersions.join(' and ')} (writes ${compactIndexFormatVersion}); re-index the corpus or use the matching package version`,
      'version',
    );
  }
  for (const field of ['passages', 'totalTerms', 'terms'] as const)
    if (!isCount(value[field])) fail('expected a non-negative integer', field);
  if ((value.passages as number) >= 2 ** 31) fail('more than 2^31 − 1 passages are not supported', 'passages');
  if (!isRecord(value.analyzer)) fail('expected an object', 'analyzer');
  if (!isRecord(value.bm25)) fail('expected an object', 'bm25');
  checkManifestFiles(value.files, Object.values(compactIndexFiles), fail);
  return value as unknown as CompactIndexManifest;
}

/** Every data file must exist with the size the manifest gives (a cheap check for truncation). */
async function checkSizes(directory: string, manifest: CompactIndexManifest): Promise<void> {
  for (const { name, bytes } of manifest.files) {
    const path = join(directory, name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      throw new InvalidInputError(
        `missing index file (${(error as Error).message})`,
        { source: path },
        { cause: error },
      );
    }
    if (size !== bytes) {
      throw new InvalidInputError(
        `file is ${size} bytes but the manifest says ${bytes}: truncated or replaced after saving`,
        { source: path },
      );
    }
  }
  const expected = (manifest.passages + 1) * passageOffsetBytes;
  const offsets = manifest.files[1]!;
  const lengths = manifest.files[2]!;
  const ranks = manifest.files[3]!;
  if (offsets.bytes !== expected || lengths.bytes !== manifest.passages * 4 || ranks.bytes !== manifest.passages * 4) {
    throw new InvalidInputError(
      `the data files disagree with the manifest's ${manifest.passages} passages (${offsets.name} ${offsets.bytes} bytes, ${lengths.name} ${lengths.bytes}, ${ranks.name} ${ranks.bytes})`,
      { source: directory },
    );
  }
}

/** A small file read whole, checked against its SHA-256 (it is read whole anyway). */
async function readVerified(directory: string, manifest: CompactIndexManifest, name: string): Promise<Uint8Array> {
  const path = join(directory, name);
  const entry = manifest.files.find((file) => file.name === name)!;
  const bytes = await readFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== entry.bytes || sha256 !== entry.sha256) {
    throw new InvalidInputError(
      `checksum mismatch (sha256 ${sha256}, manifest says ${entry.sha256}): the file is corrupt or was changed after saving`,
      { source: path },
    );
  }
  return bytes;
}

/**
 * Opens a compact index written by `buildCompactIndex` or `writeCompactIndex` without reading all of it:
 * the manifest and every file's size are checked, the small per-passage arrays (lengths, id ranks) and the
 * dictionary's block index are read whole and checked against their SHA-256; the dictionary blocks, the
 * postings and the passages stay on disk, read by offset and checked against their CRC-32 when a search
 * reads them. `retriever.verify()` checks every file whole. A damaged index throws an `InvalidInputError`
 * naming the file. Close the retriever to release its file handles.
 */
export async function openCompactIndex(
  directory: string,
  options: OpenCompactIndexOptions = {},
): Promise<CompactBm25Retriever> {
  const queryEvaluation = options.queryEvaluation ?? 'block-max';
  if (!Object.hasOwn(queryEvaluations, queryEvaluation)) {
    throw new InvalidConfigError(
      'queryEvaluation',
      `expected one of ${Object.keys(queryEvaluations).join(', ')}, got ${JSON.stringify(queryEvaluation)}`,
    );
  }
  const manifestPath = join(directory, manifestFileName);
  const fail: Fail = (problem, field) => {
    throw new InvalidInputError(problem, { source: manifestPath, field: field ?? '' });
  };
  const manifest = checkCompactManifest(await readManifestFile(manifestPath), fail);
  let analyzer: Analyzer;
  let bm25: Bm25Parameters;
  try {
    analyzer = createAnalyzer(manifest.analyzer);
    bm25 = resolveBm25Parameters({ ...manifest.bm25, ...options.bm25 });
  } catch (error) {
    throw new InvalidInputError(
      `bad settings: ${(error as Error).message}`,
      { source: manifestPath },
      { cause: error },
    );
  }
  await checkSizes(directory, manifest);

  const lengths = uint32Values(await readVerified(directory, manifest, compactIndexFiles.documentLengths));
  const totalLength = lengths.reduce((sum, length) => sum + length, 0);
  if (totalLength !== manifest.totalTerms) {
    throw new InvalidInputError(
      `the passage lengths sum to ${totalLength}, the manifest says ${manifest.totalTerms} terms`,
      { source: join(directory, compactIndexFiles.documentLengths) },
    );
  }
  const idRanks = uint32Values(await readVerified(directory, manifest, compactIndexFiles.idRanks));
  const dictionaryIndexPath = join(directory, compactIndexFiles.dictionaryIndex);
  let dictionary: TermDictionary;
  try {
    dictionary = new TermDictionary(await readVerified(directory, manifest, compactIndexFiles.dictionaryIndex));
  } catch (error) {
    if (InvalidInputError.isInstance(error)) throw error;
    throw new InvalidInputError(
      `cannot be decoded (${(error as Error).message})`,
      { source: dictionaryIndexPath },
      { cause: error },
    );
  }

  const handles: FileHandle[] = [];
  const openFile = async (name: string): Promise<FileHandle> => {
    const handle = await open(join(directory, name), 'r');
    handles.push(handle);
    return handle;
  };
  let files: CompactIndexParts['files'];
  try {
    files = {
      passages: await openFile(compactIndexFiles.passages),
      passageOffsets: await openFile(compactIndexFiles.passageOffsets),
      dictionary: await openFile(compactIndexFiles.dictionary),
      postings: await openFile(compactIndexFiles.postings),
    };
  } catch (error) {
    await Promise.all(handles.map((handle) => handle.close()));
    throw new InvalidInputError(`cannot open the index files: ${(error as Error).message}`, { source: directory });
  }
  const lengthNorms = bm25LengthNorms(lengths, totalLength, bm25);
  return new CompactBm25Retriever(
    { directory, manifest, analyzer, bm25, lengthNorms, idRanks, dictionary, files },
    options.name,
    queryEvaluation,
  );
}
