import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { jsonLineError, splitJsonLines, verifyFileDigests, type DigestMismatch } from '@research-ts/spec/node';
import type { ExecutionProvider } from './backend/onnxruntime';
import type { HnswParameters } from './backend/usearch';
import { buildDenseIndex, defaultHnswParameters } from './create-dense-retriever';
import {
  denseIndexFiles,
  denseIndexFormat,
  denseIndexFormatVersion,
  manifestFileName,
  type DenseIndexManifest,
} from './dense-index-manifest';
import { DenseRetriever } from './dense-retriever';
import type { TextEmbedder } from './embedding-model';

export interface LoadDenseRetrieverOptions {
  /** Search the saved vectors with another index kind than the saved one (an HNSW graph is then built). */
  index?: 'exact' | 'hnsw';
  /**
   * HNSW parameters. A saved graph is loaded as it is unless `connectivity` or `expansionAdd` differ
   * from the saved ones (then the graph is rebuilt); `expansionSearch` applies either way.
   */
  hnsw?: Partial<HnswParameters>;
  executionProvider?: ExecutionProvider;
  /** Default: the saved name. */
  name?: string;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readManifest(value: unknown, source: string): DenseIndexManifest {
  if (!isObject(value)) throw new InvalidInputError('must be a JSON object', { source });
  const fail = (field: string, problem: string): never => {
    throw new InvalidInputError(problem, { source, field });
  };
  if (value.format !== denseIndexFormat)
    fail('format', `must be ${JSON.stringify(denseIndexFormat)}, got ${JSON.stringify(value.format)}`);
  if (value.version !== denseIndexFormatVersion)
    fail('version', `this build reads version ${denseIndexFormatVersion}, got ${JSON.stringify(value.version)}`);
  const count = (field: string, minimum: number): number => {
    const number = value[field];
    if (typeof number !== 'number' || !Number.isInteger(number) || number < minimum)
      fail(field, `must be an integer >= ${minimum}, got ${JSON.stringify(number)}`);
    return number as number;
  };
  count('passages', 0);
  count('dimension', 1);
  if (value.metric !== 'inner-product' && value.metric !== 'cosine')
    fail('metric', `must be "inner-product" or "cosine", got ${JSON.stringify(value.metric)}`);
  if (typeof value.name !== 'string') fail('name', 'must be a string');
  if (!isObject(value.model) || typeof value.model.fingerprint !== 'string')
    fail('model.fingerprint', 'must be a string');
  const index = value.index;
  if (!isObject(index) || (index.kind !== 'exact' && index.kind !== 'hnsw'))
    fail('index.kind', 'must be "exact" or "hnsw"');
  if (isObject(index) && index.kind === 'hnsw') {
    for (const field of ['connectivity', 'expansionAdd', 'expansionSearch']) {
      const number = index[field];
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
        fail(`index.${field}`, `must be a positive integer, got ${JSON.stringify(number)}`);
    }
  }
  if (!Array.isArray(value.files)) fail('files', 'must be an array');
  (value.files as unknown[]).forEach((entry, position) => {
    if (
      !isObject(entry) ||
      typeof entry.name !== 'string' ||
      typeof entry.bytes !== 'number' ||
      typeof entry.sha256 !== 'string'
    ) {
      fail(`files.${position}`, 'must be { name, bytes, sha256 }');
    }
  });
  if (typeof value.checksum !== 'string') fail('checksum', 'must be a string');
  return value as unknown as DenseIndexManifest;
}

/** The loader's words for a listed file that does not match the manifest. */
function mismatchProblem(mismatch: DigestMismatch): string {
  switch (mismatch.kind) {
    case 'outside':
    case 'missing':
      return `is listed in ${manifestFileName} but cannot be read: ${mismatch.cause instanceof Error ? mismatch.cause.message : mismatch.problem}`;
    case 'size':
      return `has ${mismatch.actual?.bytes} bytes, the manifest says ${mismatch.expected.bytes} (truncated or changed)`;
    case 'sha256':
      return 'checksum mismatch: the file is corrupt or was changed after saving';
  }
}

/**
 * Loads a dense retriever saved by `DenseRetriever.save`. Before using any byte it checks: the manifest's
 * format and version; each listed file's size and SHA-256 and the overall checksum (corruption); that
 * the embeddings hold `passages × dimension` float32 values and `passages.jsonl` that many passages;
 * and that `model` has the saved dimension and fingerprint (the same embedding space). Any failure is an
 * `InvalidInputError` naming the file and the field.
 */
export async function loadDenseRetriever(
  directory: string,
  model: TextEmbedder,
  options: LoadDenseRetrieverOptions = {},
): Promise<DenseRetriever> {
  const manifestPath = join(directory, manifestFileName);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InvalidInputError(
      missing
        ? 'is missing (not a saved dense index, or saving did not finish)'
        : `cannot be read: ${(error as Error).message}`,
      { source: manifestPath },
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestText);
  } catch (error) {
    throw new InvalidInputError(
      `is not valid JSON: ${(error as Error).message}`,
      { source: manifestPath },
      { cause: error },
    );
  }
  const manifest = readManifest(parsed, manifestPath);

  if (model.dimension !== manifest.dimension) {
    throw new InvalidInputError(
      `the index holds embeddings of dimension ${manifest.dimension}, but the given model has dimension ${model.dimension}`,
      {
        source: manifestPath,
        field: 'dimension',
      },
    );
  }
  if (model.fingerprint !== manifest.model.fingerprint) {
    throw new InvalidInputError(
      `the index was built with model ${manifest.model.fingerprint}, but the given model is ${model.fingerprint}; re-embed the passages with this model or load the original one`,
      { source: manifestPath, field: 'model.fingerprint' },
    );
  }

  const required: string[] = [
    denseIndexFiles.passages,
    denseIndexFiles.embeddings,
    ...(manifest.index.kind === 'hnsw' ? [denseIndexFiles.hnsw] : []),
  ];
  for (const name of required) {
    if (!manifest.files.some((entry) => entry.name === name))
      throw new InvalidInputError(`does not list ${name}`, { source: manifestPath, field: 'files' });
  }
  const combined = createHash('sha256');
  const [mismatch] = await verifyFileDigests(directory, manifest.files, { combined });
  if (mismatch !== undefined)
    throw new InvalidInputError(mismatchProblem(mismatch), { source: mismatch.path }, { cause: mismatch.cause });
  if (combined.digest('hex') !== manifest.checksum)
    throw new InvalidInputError('checksum mismatch over the listed files', { source: manifestPath, field: 'checksum' });

  const embeddingsPath = join(directory, denseIndexFiles.embeddings);
  const embeddingBytes = await readFile(embeddingsPath);
  const expectedBytes = manifest.passages * manifest.dimension * 4;
  if (embeddingBytes.byteLength !== expectedBytes) {
    throw new InvalidInputError(
      `has ${embeddingBytes.byteLength} bytes; ${manifest.passages} passages × dimension ${manifest.dimension} × 4 need ${expectedBytes}`,
      {
        source: embeddingsPath,
      },
    );
  }
  const rows = new Float32Array(manifest.passages * manifest.dimension);
  new Uint8Array(rows.buffer).set(embeddingBytes);

  const passagesPath = join(directory, denseIndexFiles.passages);
  const lines = splitJsonLines(await readFile(passagesPath));
  if (lines.length !== manifest.passages) {
    throw new InvalidInputError(`has ${lines.length} passages, the manifest says ${manifest.passages}`, {
      source: passagesPath,
    });
  }
  const ids: string[] = [];
  const texts: string[] = [];
  lines.forEach((line, index) => {
    if (!line.ok) throw jsonLineError(passagesPath, line);
    const record = line.value;
    if (!isObject(record) || typeof record.id !== 'string' || typeof record.contents !== 'string') {
      throw new InvalidInputError('must be {"id": string, "contents": string}', {
        source: passagesPath,
        line: line.line,
      });
    }
    if (index > 0 && !(ids[index - 1]! < record.id)) {
      throw new InvalidInputError(
        `ids must be unique and ascending; ${JSON.stringify(record.id)} follows ${JSON.stringify(ids[index - 1])}`,
        { source: passagesPath, line: line.line },
      );
    }
    ids.push(record.id);
    texts.push(record.contents);
  });

  const kind = options.index ?? manifest.index.kind;
  // A saved graph is reused unless the caller asks for another connectivity or expansionAdd (those shape
  // the graph); expansionSearch is a search-time setting and may change freely.
  const saved = manifest.index.kind === 'hnsw' ? manifest.index : undefined;
  const requested = options.hnsw ?? {};
  const savedGraph =
    saved !== undefined &&
    kind === 'hnsw' &&
    (requested.connectivity === undefined || requested.connectivity === saved.connectivity) &&
    (requested.expansionAdd === undefined || requested.expansionAdd === saved.expansionAdd);
  const hnsw: HnswParameters =
    saved !== undefined && savedGraph
      ? {
          connectivity: saved.connectivity,
          expansionAdd: saved.expansionAdd,
          expansionSearch: requested.expansionSearch ?? saved.expansionSearch,
        }
      : { ...defaultHnswParameters, ...requested };
  for (const field of ['connectivity', 'expansionAdd', 'expansionSearch'] as const) {
    if (!Number.isInteger(hnsw[field]) || hnsw[field] < 1)
      throw new InvalidConfigError(`hnsw.${field}`, `must be a positive integer, got ${String(hnsw[field])}`);
  }
  const index = await buildDenseIndex(rows, manifest.dimension, kind, {
    hnsw,
    ...(options.executionProvider === undefined ? {} : { executionProvider: options.executionProvider }),
    ...(savedGraph ? { hnswFile: join(directory, denseIndexFiles.hnsw) } : {}),
  });
  return new DenseRetriever({
    name: options.name ?? manifest.name,
    model,
    metric: manifest.metric,
    ids,
    contents: texts,
    index,
  });
}
