import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DenseRetrieverState } from './dense-retriever';
import {
  denseIndexFiles,
  denseIndexFormat,
  denseIndexFormatVersion,
  manifestFileName,
  type DenseIndexFileEntry,
  type DenseIndexManifest,
} from './dense-index-manifest';

const rowsPerChunk = 4096;

/** Writes `pieces` to `path`, hashing the bytes into the file's own SHA-256 and into `overall`. */
async function writeHashedFile(
  path: string,
  name: string,
  pieces: Iterable<Uint8Array>,
  overall: Hash,
): Promise<DenseIndexFileEntry> {
  const handle = await open(path, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for (const piece of pieces) {
      hash.update(piece);
      overall.update(piece);
      bytes += piece.byteLength;
      await handle.write(piece);
    }
  } finally {
    await handle.close();
  }
  return { name, bytes, sha256: hash.digest('hex') };
}

function* passageLines(state: DenseRetrieverState): Iterable<Uint8Array> {
  let pending: string[] = [];
  for (let index = 0; index < state.ids.length; index += 1) {
    pending.push(`${JSON.stringify({ id: state.ids[index], contents: state.contents[index] })}\n`);
    if (pending.length === rowsPerChunk) {
      yield Buffer.from(pending.join(''), 'utf8');
      pending = [];
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''), 'utf8');
}

/** The embeddings, row-major, in chunks of rows (float32 in platform order: little-endian on every supported platform). */
function* embeddingChunks(state: DenseRetrieverState): Iterable<Uint8Array> {
  const count = state.ids.length;
  const dimension = state.model.dimension;
  for (let start = 0; start < count; start += rowsPerChunk) {
    const end = Math.min(count, start + rowsPerChunk);
    const rows =
      state.index.kind === 'exact'
        ? state.index.exact.rows(start, end)
        : state.index.rows.subarray(start * dimension, end * dimension);
    yield new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  }
}

/** Hashes a file another writer produced (usearch's index file) into its entry and into `overall`. */
async function hashWrittenFile(path: string, name: string, overall: Hash): Promise<DenseIndexFileEntry> {
  const data = await readFile(path);
  overall.update(data);
  return { name, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Saves a dense retriever to `directory`: the data files, then `manifest.json` (written to a temporary
 * name and renamed, so a manifest is present only when every file it lists is complete).
 */
export async function saveDenseIndex(directory: string, state: DenseRetrieverState): Promise<DenseIndexManifest> {
  await mkdir(directory, { recursive: true });
  await rm(join(directory, manifestFileName), { force: true });
  const overall = createHash('sha256');
  const files: DenseIndexFileEntry[] = [];
  files.push(
    await writeHashedFile(
      join(directory, denseIndexFiles.passages),
      denseIndexFiles.passages,
      passageLines(state),
      overall,
    ),
  );
  files.push(
    await writeHashedFile(
      join(directory, denseIndexFiles.embeddings),
      denseIndexFiles.embeddings,
      embeddingChunks(state),
      overall,
    ),
  );
  if (state.index.kind === 'hnsw') {
    const path = join(directory, denseIndexFiles.hnsw);
    state.index.hnsw.save(path);
    files.push(await hashWrittenFile(path, denseIndexFiles.hnsw, overall));
  } else {
    await rm(join(directory, denseIndexFiles.hnsw), { force: true });
  }
  const manifest: DenseIndexManifest = {
    format: denseIndexFormat,
    version: denseIndexFormatVersion,
    name: state.name,
    passages: state.ids.length,
    dimension: state.model.dimension,
    metric: state.metric,
    model: { fingerprint: state.model.fingerprint },
    index: state.index.kind === 'exact' ? { kind: 'exact' } : { kind: 'hnsw', ...state.index.parameters },
    files,
    checksum: overall.digest('hex'),
  };
  const temporary = join(directory, `${manifestFileName}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, join(directory, manifestFileName));
  return manifest;
}
