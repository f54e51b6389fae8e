import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { PassageFile, verifyFileDigests, type DigestMismatch } from '@research-ts/spec/node';
import type { ExecutionProvider } from './backend/onnxruntime';
import type { HnswParameters } from './backend/usearch';
import { buildExactIndex, buildHnswIndex, defaultHnswParameters } from './create-dense-retriever';
import {
  denseIndexFiles,
  denseIndexFormat,
  denseIndexReadableVersions,
  manifestFileName,
  type DenseIndexManifest,
} from './dense-index-manifest';
import { DenseRetriever } from './dense-retriever';
import { embeddingModelSettings } from './save-dense-index';
import { poolings } from './embedding-conventions';
import type { TextEmbedder } from './embedding-model';
import {
  checkQuantization,
  checkQuantizedDimension,
  checkRescore,
  hnswQuantizations,
  type HnswQuantization,
  type RescoreOptions,
} from './hnsw-quantization';
import { passagesFromFile, type PassageStore } from './passage-store';
import { vectorsFromFile, vectorsInMemory } from './passage-vectors';
import { scanPassageLines } from './scan-passage-lines';

export interface LoadDenseRetrieverOptions {
  /** Search the saved vectors with another index kind than the saved one (an HNSW graph is then built). */
  index?: 'exact' | 'hnsw';
  /**
   * HNSW parameters. A saved graph is loaded as it is unless `connectivity` or `expansionAdd` differ
   * from the saved ones (then the graph is rebuilt); `expansionSearch` applies either way.
   */
  hnsw?: Partial<HnswParameters>;
  /**
   * Quantization of the HNSW graph. Default: the saved one (`f32` for a manifest without the field); another
   * one rebuilds the graph from the full-precision vectors.
   */
  quantization?: HnswQuantization;
  /** Rescoring of HNSW candidates (see `createDenseRetriever`). Default: the saved setting. */
  rescore?: Partial<RescoreOptions> | false;
  /**
   * Hash every file against the manifest's SHA-256 before use (default `true`). `false` checks only the
   * sizes, so that a large index opens without reading all of its bytes.
   */
  verifyChecksums?: boolean;
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
  if (!denseIndexReadableVersions.includes(value.version as number)) {
    fail(
      'version',
      `this build reads versions ${denseIndexReadableVersions.join(' and ')}, got ${JSON.stringify(value.version)}`,
    );
  }
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
  const settings = (value.model as JsonObject).settings;
  if (settings !== undefined) {
    if (!isObject(settings)) fail('model.settings', 'must be an object');
    const fields = settings as JsonObject;
    if (!(poolings as readonly unknown[]).includes(fields.pooling))
      fail(
        'model.settings.pooling',
        `must be one of ${poolings.map((name) => JSON.stringify(name)).join(', ')}, got ${JSON.stringify(fields.pooling)}`,
      );
    if (typeof fields.normalize !== 'boolean') fail('model.settings.normalize', 'must be true or false');
    for (const field of ['queryPrefix', 'passagePrefix', 'outputName'])
      if (typeof fields[field] !== 'string') fail(`model.settings.${field}`, 'must be a string');
    for (const field of ['maxLength', 'queryMaxLength']) {
      const number = fields[field];
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
        fail(`model.settings.${field}`, `must be a positive integer, got ${JSON.stringify(number)}`);
    }
  }
  const index = value.index;
  if (!isObject(index) || (index.kind !== 'exact' && index.kind !== 'hnsw'))
    fail('index.kind', 'must be "exact" or "hnsw"');
  if (isObject(index) && index.kind === 'hnsw') {
    for (const field of ['connectivity', 'expansionAdd', 'expansionSearch']) {
      const number = index[field];
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1)
        fail(`index.${field}`, `must be a positive integer, got ${JSON.stringify(number)}`);
    }
    // Written since quantization exists; a manifest without it holds a float32 graph.
    if (index.quantization !== undefined && !(hnswQuantizations as readonly unknown[]).includes(index.quantization)) {
      fail(
        'index.quantization',
        `must be one of ${hnswQuantizations.map((name) => JSON.stringify(name)).join(', ')}, got ${JSON.stringify(index.quantization)}`,
      );
    }
    const rescore = index.rescore;
    if (rescore !== undefined && rescore !== false) {
      const oversample = isObject(rescore) ? rescore.oversample : undefined;
      if (typeof oversample !== 'number' || !Number.isFinite(oversample) || oversample < 1)
        fail('index.rescore', `must be false or { "oversample": a number >= 1 }, got ${JSON.stringify(rescore)}`);
    }
  } else if (isObject(index) && (index.quantization !== undefined || index.rescore !== undefined)) {
    fail('index.quantization', 'applies to index.kind "hnsw" only');
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

/**
 * Checks every file the manifest lists: its size, and with `checksums` its SHA-256 and the overall checksum.
 * A mismatch is an `InvalidInputError` naming the file (or the manifest's `checksum` field).
 */
async function verifyListedFiles(directory: string, manifest: DenseIndexManifest, checksums: boolean): Promise<void> {
  if (checksums) {
    const combined = createHash('sha256');
    const [mismatch] = await verifyFileDigests(directory, manifest.files, { combined });
    if (mismatch !== undefined)
      throw new InvalidInputError(mismatchProblem(mismatch), { source: mismatch.path }, { cause: mismatch.cause });
    if (combined.digest('hex') !== manifest.checksum) {
      throw new InvalidInputError('checksum mismatch over the listed files', {
        source: join(directory, manifestFileName),
        field: 'checksum',
      });
    }
    return;
  }
  for (const entry of manifest.files) {
    const path = join(directory, entry.name);
    if (isAbsolute(entry.name) || entry.name.split(/[\\/]/).includes('..'))
      throw new InvalidInputError(`is listed in ${manifestFileName} but is not a path inside the folder`, {
        source: path,
      });
    const size = await stat(path).then(
      (found) => found.size,
      (error: unknown) => {
        throw new InvalidInputError(
          `is listed in ${manifestFileName} but cannot be read: ${(error as Error).message}`,
          { source: path },
          { cause: error },
        );
      },
    );
    if (size !== entry.bytes)
      throw new InvalidInputError(`has ${size} bytes, the manifest says ${entry.bytes} (truncated or changed)`, {
        source: path,
      });
  }
}

/**
 * Opens `passages.jsonl` to be read by offset: through `passage-offsets.bin` (version 2), or through a table built
 * by one pass over the file, which checks its lines (version 1, saved without a table).
 */
async function openPassages(directory: string, manifest: DenseIndexManifest): Promise<PassageStore> {
  const path = join(directory, denseIndexFiles.passages);
  const offsets =
    manifest.version === 1
      ? await scanPassageLines(path, manifest.passages)
      : join(directory, denseIndexFiles.passageOffsets);
  return passagesFromFile(PassageFile.open({ passages: path, offsets, count: manifest.passages }));
}

/** Reads `embeddings.f32` into memory, checking it holds `passages × dimension` float32 values. */
async function readEmbeddings(path: string, passages: number, dimension: number): Promise<Float32Array> {
  const bytes = await readFile(path);
  const expectedBytes = passages * dimension * 4;
  if (bytes.byteLength !== expectedBytes) {
    throw new InvalidInputError(
      `has ${bytes.byteLength} bytes; ${passages} passages × dimension ${dimension} × 4 need ${expectedBytes}`,
      { source: path },
    );
  }
  const rows = new Float32Array(passages * dimension);
  new Uint8Array(rows.buffer).set(bytes);
  return rows;
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
 * The validated `manifest.json` of a saved dense index: its size, dimension, index settings, and the model it
 * was built with (fingerprint, and the settings to load that model again). Reads no other file. A missing,
 * unparsable or invalid manifest is an `InvalidInputError` naming the file and the field.
 */
export async function readDenseIndexManifest(directory: string): Promise<DenseIndexManifest> {
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
  return readManifest(parsed, manifestPath);
}

/** Why `model` is not the model of `manifest`, in the settings both record, or '' when that cannot be told. */
function settingDifferences(manifest: DenseIndexManifest, model: TextEmbedder): string {
  const saved = manifest.model.settings;
  const given = embeddingModelSettings(model);
  if (saved === undefined || given === undefined) return '';
  const differing = (['pooling', 'normalize', 'queryPrefix', 'passagePrefix', 'maxLength', 'outputName'] as const)
    .filter((field) => saved[field] !== given[field])
    .map((field) => `${field} ${JSON.stringify(saved[field])} (given ${JSON.stringify(given[field])})`);
  return differing.length === 0
    ? ' (the same settings: the model files or tokenizer differ)'
    : ` (it was loaded with ${differing.join(', ')})`;
}

/**
 * Loads a dense retriever saved by `DenseRetriever.save`. Before using any byte it checks: the manifest's
 * format and version; each listed file's size and SHA-256 and the overall checksum (corruption; sizes only
 * with `verifyChecksums: false`); that the embeddings hold `passages × dimension` float32 values and
 * `passage-offsets.bin` that many passages, ending at the size of `passages.jsonl`; and that `model` has the
 * saved dimension and fingerprint (the same embedding space). Any failure is an `InvalidInputError` naming the
 * file and the field.
 *
 * Passages are read from `passages.jsonl` by offset when a search returns them, each line checked against its
 * CRC-32 (so a file changed after loading, or with `verifyChecksums: false` at load, fails the search naming
 * it): no text is held on the heap. A version-1 index (no `passage-offsets.bin`) still loads: its table is
 * built in memory (12 bytes a passage) by one pass over `passages.jsonl`, which checks the line count, each
 * line's `{"id", "contents"}` and that ids ascend. A saved HNSW graph is memory-mapped (usearch `view`), and
 * the full-precision vectors that rescore its candidates are read from `embeddings.f32` by offset: neither is
 * copied onto the heap. An exact index (or a graph rebuilt with other parameters) reads the vectors into memory.
 */
export async function loadDenseRetriever(
  directory: string,
  model: TextEmbedder,
  options: LoadDenseRetrieverOptions = {},
): Promise<DenseRetriever> {
  const manifestPath = join(directory, manifestFileName);
  const manifest = await readDenseIndexManifest(directory);
  const kind = options.index ?? manifest.index.kind;
  const saved = manifest.index.kind === 'hnsw' ? manifest.index : undefined;
  const quantization = checkQuantization(options.quantization ?? saved?.quantization);
  if (kind === 'exact' && options.quantization !== undefined && options.quantization !== 'f32')
    throw new InvalidConfigError('quantization', `applies to index 'hnsw'; the exact index searches float32 vectors`);
  if (kind === 'exact' && options.rescore !== undefined)
    throw new InvalidConfigError('rescore', `applies to index 'hnsw'; the exact index rescores its own candidates`);
  if (kind === 'hnsw') checkQuantizedDimension(quantization, manifest.dimension, 'quantization');
  const savedRescore =
    saved !== undefined && quantization === (saved.quantization ?? 'f32') ? saved.rescore : undefined;
  const rescore = checkRescore(options.rescore ?? savedRescore, quantization);

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
      `the index was built with model ${manifest.model.fingerprint}${settingDifferences(manifest, model)}, but the given model is ${model.fingerprint}; re-embed the passages with this model or load the original one`,
      { source: manifestPath, field: 'model.fingerprint' },
    );
  }

  const required: string[] = [
    denseIndexFiles.passages,
    ...(manifest.version === 1 ? [] : [denseIndexFiles.passageOffsets]),
    denseIndexFiles.embeddings,
    ...(manifest.index.kind === 'hnsw' ? [denseIndexFiles.hnsw] : []),
  ];
  for (const name of required) {
    if (!manifest.files.some((entry) => entry.name === name))
      throw new InvalidInputError(`does not list ${name}`, { source: manifestPath, field: 'files' });
  }
  await verifyListedFiles(directory, manifest, options.verifyChecksums !== false);

  // A saved graph is reused unless the caller asks for another connectivity, expansionAdd or quantization
  // (those shape the graph); expansionSearch and rescore are search-time settings and may change freely.
  const requested = options.hnsw ?? {};
  const savedGraph =
    saved !== undefined &&
    kind === 'hnsw' &&
    quantization === (saved.quantization ?? 'f32') &&
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

  const embeddingsPath = join(directory, denseIndexFiles.embeddings);
  // The saved graph's rescoring vectors stay in the file; anything else needs them in memory.
  const vectors = savedGraph
    ? vectorsFromFile(embeddingsPath, manifest.passages, manifest.dimension)
    : vectorsInMemory(await readEmbeddings(embeddingsPath, manifest.passages, manifest.dimension), manifest.dimension);

  let passages: PassageStore | undefined;
  try {
    passages = await openPassages(directory, manifest);
    const index =
      kind === 'exact'
        ? await buildExactIndex(vectors.rows(0, manifest.passages), manifest.dimension, options.executionProvider)
        : buildHnswIndex(
            vectors,
            { parameters: hnsw, quantization, rescore },
            savedGraph
              ? { graphFile: join(directory, denseIndexFiles.hnsw) }
              : { rows: vectors.rows(0, manifest.passages) },
          );
    return new DenseRetriever({
      name: options.name ?? manifest.name,
      model,
      metric: manifest.metric,
      passages,
      index,
    });
  } catch (error) {
    passages?.close();
    vectors.close();
    throw error;
  }
}
