import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, ResearchError } from '@research-ts/spec';
import { jsonLineError, readJsonLines, verifyFileDigests, type DigestMismatch } from '@research-ts/spec/node';
import { createAnalyzer, type Analyzer } from './analyzer';
import { FlexsearchPostings, frequencySlots } from './backend/flexsearch';
import { resolveBm25Parameters, type Bm25Parameters } from './bm25';
import { compactIndexFormat } from './compact-index-manifest';
import { FlexsearchRetriever } from './flexsearch-retriever';
import {
  indexDataFiles,
  indexFormat,
  indexFormatVersion,
  manifestFileName,
  type IndexManifest,
} from './index-manifest';
import { readManifestFile } from './read-manifest-file';

export interface LoadFlexsearchRetrieverOptions {
  /** The retriever's `name` in logs (default `flexsearch-bm25`). */
  name?: string;
  /** Override the saved BM25 parameters (they do not change the stored data, so any values are valid). */
  bm25?: Partial<Bm25Parameters>;
}

export type Fail = (problem: string, field?: string) => never;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks a manifest's `files`: one `{ name, bytes, sha256 }` per expected file, in order (both index layouts).
 */
export function checkManifestFiles(files: unknown, expectedNames: readonly string[], fail: Fail): void {
  if (!Array.isArray(files) || files.length !== expectedNames.length)
    fail(`expected ${expectedNames.length} entries`, 'files');
  (files as unknown[]).forEach((entry, index) => {
    if (
      !isRecord(entry) ||
      entry.name !== expectedNames[index] ||
      !isCount(entry.bytes) ||
      typeof entry.sha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(entry.sha256)
    ) {
      fail(`expected {"name": ${JSON.stringify(expectedNames[index])}, "bytes": n, "sha256": hex}`, `files.${index}`);
    }
  });
}

/** Checks the manifest's shape field by field; the format and version are checked first. */
function checkManifest(value: unknown, fail: Fail): IndexManifest {
  if (!isRecord(value)) fail('expected a JSON object');
  if (value.format === compactIndexFormat) {
    fail('a compact index: open it with openCompactIndex (or openSavedRetriever, which opens either layout)', 'format');
  }
  if (value.format !== indexFormat) {
    fail(
      `not a research-ts flexsearch index (format ${JSON.stringify(value.format)}, expected ${JSON.stringify(indexFormat)})`,
      'format',
    );
  }
  if (value.version !== indexFormatVersion) {
    fail(
      `index format version ${JSON.stringify(value.version)} is not supported: this build of @research-ts/retriever-flexsearch reads version ${indexFormatVersion}; re-index the corpus or use the matching package version`,
      'version',
    );
  }
  if (!isCount(value.passages)) fail('expected a non-negative integer', 'passages');
  if (!isCount(value.totalTerms)) fail('expected a non-negative integer', 'totalTerms');
  const backend = value.backend;
  if (!isRecord(backend) || backend.engine !== 'flexsearch' || backend.frequencySlots !== frequencySlots) {
    fail(
      `expected {"engine": "flexsearch", "frequencySlots": ${frequencySlots}}, got ${JSON.stringify(backend)}`,
      'backend',
    );
  }
  if (!isRecord(value.analyzer)) fail('expected an object', 'analyzer');
  if (!isRecord(value.bm25)) fail('expected an object', 'bm25');
  checkManifestFiles(value.files, Object.values(indexDataFiles), fail);
  if (typeof value.checksum !== 'string' || !/^[0-9a-f]{64}$/.test(value.checksum))
    fail('expected a 64-digit hex SHA-256', 'checksum');
  return value as unknown as IndexManifest;
}

/** The loader's words for a data file that does not match the manifest. */
export function mismatchProblem(mismatch: DigestMismatch): string {
  const { expected, actual } = mismatch;
  switch (mismatch.kind) {
    case 'outside':
    case 'missing':
      return `missing index file (${mismatch.cause instanceof Error ? mismatch.cause.message : mismatch.problem})`;
    case 'size':
      return `file is ${actual?.bytes} bytes but the manifest says ${expected.bytes}: truncated or replaced after saving`;
    case 'sha256':
      return `checksum mismatch (sha256 ${actual?.sha256}, manifest says ${expected.sha256}): the file is corrupt or was changed after saving`;
  }
}

/**
 * Loads an index written by `retriever.save(directory)`. Before reading any data it checks the
 * manifest (format, version, fields) and every data file's size and SHA-256, so a corrupt, truncated or
 * mismatched index throws an `InvalidInputError` naming the file instead of giving wrong results.
 */
export async function loadFlexsearchRetriever(
  directory: string,
  options: LoadFlexsearchRetrieverOptions = {},
): Promise<FlexsearchRetriever> {
  const manifestPath = join(directory, manifestFileName);
  const fail: Fail = (problem, field) => {
    throw new InvalidInputError(problem, { source: manifestPath, field: field ?? '' });
  };
  const manifestValue = await readManifestFile(manifestPath);
  const manifest = checkManifest(manifestValue, fail);
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

  const combined = createHash('sha256');
  const [mismatch] = await verifyFileDigests(directory, manifest.files, { combined });
  if (mismatch !== undefined)
    throw new InvalidInputError(mismatchProblem(mismatch), { source: mismatch.path }, { cause: mismatch.cause });
  const overallChecksum = combined.digest('hex');
  if (overallChecksum !== manifest.checksum) {
    fail(
      `checksum mismatch (sha256 of the data files ${overallChecksum}, manifest says ${manifest.checksum})`,
      'checksum',
    );
  }

  // The bytes are the ones that were saved; what follows only fails if the saving code was wrong.
  const passagesPath = join(directory, indexDataFiles.passages);
  const ids: string[] = [];
  const contents: string[] = [];
  for await (const line of readJsonLines(passagesPath)) {
    if (!line.ok) throw jsonLineError(passagesPath, line);
    const record = line.value as { id: string; contents: string };
    ids.push(record.id);
    contents.push(record.contents);
  }
  const lengthsPath = join(directory, indexDataFiles.documentLengths);
  const lengthBytes = await readFile(lengthsPath);
  const documentLengths = new Uint32Array(lengthBytes.length / 4);
  let totalLength = 0;
  for (let index = 0; index < documentLengths.length; index += 1) {
    documentLengths[index] = lengthBytes.readUInt32LE(index * 4);
    totalLength += documentLengths[index]!;
  }
  if (
    ids.length !== manifest.passages ||
    documentLengths.length !== manifest.passages ||
    totalLength !== manifest.totalTerms
  ) {
    throw new InvalidInputError(
      `the data files disagree with the manifest (${ids.length} passages and ${documentLengths.length} lengths summing to ${totalLength}; manifest: ${manifest.passages} passages, ${manifest.totalTerms} terms)`,
      { source: directory },
    );
  }
  const postingsPath = join(directory, indexDataFiles.postings);
  const postings = new FlexsearchPostings();
  try {
    for await (const line of readJsonLines(postingsPath)) {
      if (!line.ok) throw jsonLineError(postingsPath, line);
      const chunk = line.value;
      if (!Array.isArray(chunk) || typeof chunk[0] !== 'string' || typeof chunk[1] !== 'string')
        throw new Error('expected [key, data] lines');
      postings.importChunk(chunk[0], chunk[1]);
    }
  } catch (error) {
    if (ResearchError.isInstance(error)) throw error;
    throw new InvalidInputError(
      `cannot read the postings: ${(error as Error).message}`,
      { source: postingsPath },
      { cause: error },
    );
  }
  return new FlexsearchRetriever(
    { ids, contents, documentLengths, totalLength, postings, analyzer, bm25 },
    options.name,
  );
}
