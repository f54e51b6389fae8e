import { InvalidInputError } from '@research-ts/spec';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomically, type AtomicWriteOptions } from '@research-ts/spec/node';
import { openSafetensors, type SafetensorsFile, type SafetensorsTensor } from './read-safetensors';
import { elementCount, safetensorsDtypeSizes } from './safetensors-dtype';
import type { SafetensorsEntry } from './safetensors-header';
import { writeSafetensors, type TensorToWrite, type TensorsToWrite } from './write-safetensors';

/** The Hugging Face default largest shard: 5 GB (decimal, as `max_shard_size="5GB"`). */
export const defaultMaxShardBytes = 5_000_000_000;

export interface WriteShardsOptions extends AtomicWriteOptions {
  /** Start a new shard before a tensor that would take the current one past this many bytes. */
  maxShardBytes?: number;
  /** File name stem: `model` gives `model.safetensors` or `model-00001-of-00002.safetensors` + `model.safetensors.index.json`. */
  baseName?: string;
  metadata?: Readonly<Record<string, string>> | null;
}

/** What `writeSafetensorsShards` wrote: the shard file names and the index file name when sharded. */
export interface WrittenShards {
  files: string[];
  indexFile: string | undefined;
  totalBytes: number;
}

const shardPattern = (baseName: string) =>
  new RegExp(`^${baseName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{5}-of-\\d{5}\\.safetensors$`);

/**
 * Writes tensors into `directory` as one `model.safetensors`, or, when they exceed `maxShardBytes`,
 * as numbered shards plus a `model.safetensors.index.json` whose `weight_map` names each tensor's
 * shard (the layout `transformers` and vLLM load). Tensors keep their order; each file is written
 * atomically, the index last; shard files of an earlier save with the same base name are removed.
 */
export async function writeSafetensorsShards(
  directory: string,
  tensors: TensorsToWrite,
  options: WriteShardsOptions = {},
): Promise<WrittenShards> {
  const maxShardBytes = options.maxShardBytes ?? defaultMaxShardBytes;
  const baseName = options.baseName ?? 'model';
  const shards: Array<Array<[string, TensorToWrite]>> = [[]];
  let shardBytes = 0;
  let totalBytes = 0;
  for (const [name, tensor] of tensors) {
    const size = safetensorsDtypeSizes[tensor.dtype];
    const bytes = size === undefined ? 0 : elementCount(tensor.shape) * size; // bad dtypes are reported by the writer
    if (shardBytes > 0 && shardBytes + bytes > maxShardBytes) {
      shards.push([]);
      shardBytes = 0;
    }
    shards.at(-1)!.push([name, tensor]);
    shardBytes += bytes;
    totalBytes += bytes;
  }
  const singleName = `${baseName}.safetensors`;
  const indexName = `${baseName}.safetensors.index.json`;
  const files =
    shards.length === 1
      ? [singleName]
      : shards.map(
          (_, index) =>
            `${baseName}-${String(index + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`,
        );
  const weightMap: Record<string, string> = {};
  for (const [index, shard] of shards.entries()) {
    await writeSafetensors(join(directory, files[index]!), shard, {
      metadata: options.metadata,
      durable: options.durable,
    });
    for (const [name] of shard) weightMap[name] = files[index]!;
  }
  let indexFile: string | undefined;
  if (shards.length > 1) {
    const index = { metadata: { total_size: totalBytes }, weight_map: weightMap };
    await writeJsonAtomically(join(directory, indexName), index, options);
    indexFile = indexName;
  }
  const keep = new Set([...files, ...(indexFile === undefined ? [] : [indexFile])]);
  const stale = (await readdir(directory)).filter(
    (name) => !keep.has(name) && (name === singleName || name === indexName || shardPattern(baseName).test(name)),
  );
  await Promise.all(stale.map((name) => rm(join(directory, name), { force: true })));
  return { files, indexFile, totalBytes };
}

/** A checkpoint directory's tensors, over one `model.safetensors` or the shards its index names. */
export interface SafetensorsCheckpoint {
  readonly directory: string;
  /** Every tensor's entry plus the file (name within `directory`) that holds it. */
  readonly entries: ReadonlyMap<string, SafetensorsEntry & { file: string }>;
  readonly metadata: Readonly<Record<string, string>>;
  readTensor(name: string): Promise<SafetensorsTensor>;
  /** As `SafetensorsFile.readFloat32`: into `output` when given. */
  readFloat32(name: string, output?: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

function isPlainFileName(name: string): boolean {
  return (
    name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0')
  );
}

/**
 * Opens `directory/<baseName>.safetensors.index.json` when present (checking that every tensor it
 * lists is in the shard it names and that the shards hold nothing else), else `<baseName>.safetensors`.
 */
export async function openSafetensorsDirectory(
  directory: string,
  options: { baseName?: string } = {},
): Promise<SafetensorsCheckpoint> {
  const baseName = options.baseName ?? 'model';
  const indexPath = join(directory, `${baseName}.safetensors.index.json`);
  let indexText: string | undefined;
  try {
    indexText = await readFile(indexPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new InvalidInputError(`cannot read: ${(error as Error).message}`, { source: indexPath }, { cause: error });
  }
  const files = new Map<string, SafetensorsFile>();
  const entries = new Map<string, SafetensorsEntry & { file: string }>();
  try {
    if (indexText === undefined) {
      const single = `${baseName}.safetensors`;
      const file = await openSafetensors(join(directory, single));
      files.set(single, file);
      for (const [name, entry] of file.entries) entries.set(name, { ...entry, file: single });
    } else {
      const weightMap = parseWeightMap(indexText, indexPath);
      for (const fileName of new Set(weightMap.values()))
        files.set(fileName, await openSafetensors(join(directory, fileName)));
      for (const [name, fileName] of weightMap) {
        const entry = files.get(fileName)!.entries.get(name);
        if (entry === undefined) {
          throw new InvalidInputError(`the index places this tensor in ${fileName}, which does not hold it`, {
            source: indexPath,
            field: `weight_map.${name}`,
          });
        }
        entries.set(name, { ...entry, file: fileName });
      }
      for (const [fileName, file] of files) {
        for (const name of file.entries.keys()) {
          if (weightMap.get(name) !== fileName) {
            const listed = weightMap.get(name);
            throw new InvalidInputError(
              listed === undefined
                ? `holds a tensor that ${indexPath} does not list`
                : `holds a tensor that ${indexPath} places in ${listed}`,
              { source: file.source, field: name },
            );
          }
        }
      }
    }
  } catch (error) {
    await Promise.all([...files.values()].map((file) => file.close()));
    throw error;
  }
  const fileOf = (name: string): SafetensorsFile => {
    const entry = entries.get(name);
    if (entry === undefined)
      throw new InvalidInputError('no such tensor in the checkpoint', { source: directory, field: name });
    return files.get(entry.file)!;
  };
  return {
    directory,
    entries,
    metadata: files.values().next().value?.metadata ?? {},
    readTensor: async (name) => fileOf(name).readTensor(name),
    readFloat32: async (name, output) => fileOf(name).readFloat32(name, output),
    async close() {
      await Promise.all([...files.values()].map((file) => file.close()));
    },
  };
}

function parseWeightMap(text: string, source: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`not valid JSON: ${(error as Error).message}`, { source }, { cause: error });
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new InvalidInputError('must be an object mapping tensor names to shard file names', {
      source,
      field: 'weight_map',
    });
  }
  const result = new Map<string, string>();
  for (const [name, fileName] of Object.entries(weightMap)) {
    if (typeof fileName !== 'string' || !isPlainFileName(fileName)) {
      throw new InvalidInputError(`must be a file name in the same folder, got ${JSON.stringify(fileName)}`, {
        source,
        field: `weight_map.${name}`,
      });
    }
    result.set(name, fileName);
  }
  return result;
}
