import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ResearchError } from '@research-ts/spec';
import { writeHashedFiles, writeJsonAtomically } from '@research-ts/spec/node';
import { frequencySlots } from './backend/flexsearch';
import type { IndexData } from './index-data';
import {
  indexDataFiles,
  indexFormat,
  indexFormatVersion,
  manifestFileName,
  type IndexFileEntry,
  type IndexManifest,
} from './index-manifest';

function* passageLines(data: IndexData): Iterable<string> {
  for (let document = 0; document < data.ids.length; document += 1) {
    yield `${JSON.stringify({ id: data.ids[document], contents: data.contents[document] })}\n`;
  }
}

function* postingLines(data: IndexData): Iterable<string> {
  for (const chunk of data.postings.exportChunks()) yield `${JSON.stringify(chunk)}\n`;
}

function lengthBytes(lengths: Uint32Array): Uint8Array {
  const buffer = Buffer.alloc(lengths.length * 4);
  for (let index = 0; index < lengths.length; index += 1) buffer.writeUInt32LE(lengths[index]!, index * 4);
  return buffer;
}

/**
 * Saves an index to `directory`: the data files, then `manifest.json`, each written to a temporary name and
 * renamed (so a manifest is present only when all files it lists are complete). A file-system failure
 * (the path is a file, no permission, a full disk) is a `ResearchError` naming the folder.
 */
export async function saveIndex(directory: string, data: IndexData): Promise<IndexManifest> {
  try {
    return await writeIndex(directory, data);
  } catch (error) {
    if (ResearchError.isInstance(error) || typeof (error as NodeJS.ErrnoException | undefined)?.code !== 'string')
      throw error;
    const { code, message } = error as NodeJS.ErrnoException;
    const problem =
      code === 'EEXIST' || code === 'ENOTDIR' ? `${directory} or a folder above it is a file, not a folder` : message;
    throw new ResearchError(`cannot write the index to ${directory}: ${problem}`, { cause: error });
  }
}

async function writeIndex(directory: string, data: IndexData): Promise<IndexManifest> {
  await mkdir(directory, { recursive: true });
  await rm(join(directory, manifestFileName), { force: true });
  const combined = createHash('sha256');
  const files: IndexFileEntry[] = await writeHashedFiles(
    directory,
    [
      [indexDataFiles.passages, passageLines(data)],
      [indexDataFiles.documentLengths, [lengthBytes(data.documentLengths)]],
      [indexDataFiles.postings, postingLines(data)],
    ],
    { combined },
  );
  const manifest: IndexManifest = {
    format: indexFormat,
    version: indexFormatVersion,
    passages: data.ids.length,
    totalTerms: data.totalLength,
    analyzer: data.analyzer.settings,
    bm25: data.bm25,
    backend: { engine: 'flexsearch', frequencySlots },
    files,
    checksum: combined.digest('hex'),
  };
  await writeJsonAtomically(join(directory, manifestFileName), manifest);
  return manifest;
}
