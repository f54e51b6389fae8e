import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResearchError } from '@research-ts/spec';
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

const flushThreshold = 1 << 20;

/** Writes `pieces` to `path`, hashing the bytes into the file's own SHA-256 and into `overall`. */
async function writeHashedFile(
  path: string,
  name: string,
  pieces: Iterable<string | Uint8Array>,
  overall: Hash,
): Promise<IndexFileEntry> {
  const handle = await open(path, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: string[] = [];
  let pendingLength = 0;
  const writeBuffer = async (buffer: Uint8Array): Promise<void> => {
    hash.update(buffer);
    overall.update(buffer);
    bytes += buffer.length;
    await handle.write(buffer);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const buffer = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingLength = 0;
    await writeBuffer(buffer);
  };
  try {
    for (const piece of pieces) {
      if (typeof piece === 'string') {
        pending.push(piece);
        pendingLength += piece.length;
        if (pendingLength >= flushThreshold) await flush();
      } else {
        await flush();
        await writeBuffer(piece);
      }
    }
    await flush();
  } finally {
    await handle.close();
  }
  return { name, bytes, sha256: hash.digest('hex') };
}

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
 * Saves an index to `directory`: the data files, then `manifest.json` (written to a temporary name and
 * renamed, so a manifest is present only when all files it lists are complete). A file-system failure
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
  const overall = createHash('sha256');
  const files: IndexFileEntry[] = [];
  files.push(
    await writeHashedFile(
      join(directory, indexDataFiles.passages),
      indexDataFiles.passages,
      passageLines(data),
      overall,
    ),
  );
  files.push(
    await writeHashedFile(
      join(directory, indexDataFiles.documentLengths),
      indexDataFiles.documentLengths,
      [lengthBytes(data.documentLengths)],
      overall,
    ),
  );
  files.push(
    await writeHashedFile(
      join(directory, indexDataFiles.postings),
      indexDataFiles.postings,
      postingLines(data),
      overall,
    ),
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
    checksum: overall.digest('hex'),
  };
  const temporary = join(directory, `${manifestFileName}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, join(directory, manifestFileName));
  return manifest;
}
