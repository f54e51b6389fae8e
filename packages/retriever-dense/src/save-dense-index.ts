import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileDigest, temporarySibling, writeHashedFiles, writeJsonAtomically } from '@research-ts/spec/node';
import type { DenseRetrieverState } from './dense-retriever';
import {
  denseIndexFiles,
  denseIndexFormat,
  denseIndexFormatVersion,
  manifestFileName,
  type DenseIndexFileEntry,
  type DenseIndexManifest,
  type EmbeddingModelSettings,
} from './dense-index-manifest';
import type { EmbeddingModel, TextEmbedder } from './embedding-model';

const rowsPerChunk = 4096;

/**
 * The settings a model loaded by `loadEmbeddingModel` was loaded with (its conventions, lengths and output), or
 * undefined for any other embedder.
 */
export function embeddingModelSettings(model: TextEmbedder): EmbeddingModelSettings | undefined {
  const loaded = model as Partial<Pick<EmbeddingModel, 'conventions' | 'maxLength' | 'queryMaxLength' | 'output'>>;
  if (loaded.conventions === undefined || loaded.maxLength === undefined || loaded.output === undefined)
    return undefined;
  const { pooling, normalize, queryPrefix, passagePrefix } = loaded.conventions;
  return {
    pooling,
    normalize,
    queryPrefix,
    passagePrefix,
    maxLength: loaded.maxLength,
    queryMaxLength: loaded.queryMaxLength ?? loaded.maxLength,
    outputName: loaded.output.name,
  };
}

/** The embeddings, row-major, in chunks of rows (float32 in platform order: little-endian on every supported platform). */
function* embeddingChunks(state: DenseRetrieverState): Iterable<Uint8Array> {
  const count = state.passages.count;
  const dimension = state.model.dimension;
  for (let start = 0; start < count; start += rowsPerChunk) {
    const end = Math.min(count, start + rowsPerChunk);
    const rows =
      state.index.kind === 'exact' ? state.index.exact.rows(start, end) : state.index.vectors.rows(start, end);
    yield new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  }
}

/**
 * Saves a dense retriever to `directory`: the data files, then `manifest.json`, each written to a temporary
 * name and renamed (so a manifest is present only when every file it lists is complete, and a retriever
 * loaded from this directory, which reads or maps the old files, keeps reading them unchanged; usearch
 * writes its own file, which is hashed after it).
 */
export async function saveDenseIndex(directory: string, state: DenseRetrieverState): Promise<DenseIndexManifest> {
  await mkdir(directory, { recursive: true });
  await rm(join(directory, manifestFileName), { force: true });
  const combined = createHash('sha256');
  // The offset table is complete once the lines are written: the files are written in this order.
  const passages = state.passages.savedFiles();
  const files: DenseIndexFileEntry[] = await writeHashedFiles(
    directory,
    [
      [denseIndexFiles.passages, passages.lines],
      [denseIndexFiles.passageOffsets, passages.offsets],
      [denseIndexFiles.embeddings, embeddingChunks(state)],
    ],
    { combined },
  );
  if (state.index.kind === 'hnsw') {
    const path = join(directory, denseIndexFiles.hnsw);
    const temporary = temporarySibling(path);
    try {
      state.index.hnsw.save(temporary);
      await rename(temporary, path);
    } finally {
      await rm(temporary, { force: true });
    }
    files.push({ name: denseIndexFiles.hnsw, ...(await fileDigest(path, { combined })) });
  } else {
    await rm(join(directory, denseIndexFiles.hnsw), { force: true });
  }
  const settings = embeddingModelSettings(state.model);
  const manifest: DenseIndexManifest = {
    format: denseIndexFormat,
    version: denseIndexFormatVersion,
    name: state.name,
    passages: state.passages.count,
    dimension: state.model.dimension,
    metric: state.metric,
    model: { fingerprint: state.model.fingerprint, ...(settings === undefined ? {} : { settings }) },
    index:
      state.index.kind === 'exact'
        ? { kind: 'exact' }
        : {
            kind: 'hnsw',
            ...state.index.parameters,
            quantization: state.index.quantization,
            rescore: state.index.rescore === false ? false : { ...state.index.rescore },
          },
    files,
    checksum: combined.digest('hex'),
  };
  await writeJsonAtomically(join(directory, manifestFileName), manifest);
  return manifest;
}
