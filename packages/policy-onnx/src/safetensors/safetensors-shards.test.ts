import { InvalidInputError } from '@research-ts/spec';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensorsDirectory, writeSafetensorsShards } from './safetensors-shards';
import { writeSafetensors, type TensorToWrite } from './write-safetensors';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'policy-onnx-shards-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const vector = (length: number, start: number) => Float32Array.from({ length }, (_, index) => start + index);
// 40, 24, 40, 8 bytes (bf16 halves the 80-byte float32 tensor to 40).
const tensors: Array<[string, TensorToWrite]> = [
  ['a', { dtype: 'F32', shape: [10], data: vector(10, 0) }],
  ['b', { dtype: 'F32', shape: [2, 3], data: vector(6, 100) }],
  ['c', { dtype: 'BF16', shape: [20], data: vector(20, 200) }],
  ['d', { dtype: 'F32', shape: [2], data: vector(2, 300) }],
];

describe('sharded safetensors', () => {
  it('splits greedily at maxShardBytes, writes the index, and reads back through it', async () => {
    const directory = join(root, 'sharded');
    await mkdir(directory);
    const written = await writeSafetensorsShards(directory, tensors, { maxShardBytes: 64 });
    // a (40) + b (24) = 64 fits; c (40) starts shard 2; d (8) fits beside c.
    expect(written).toEqual({
      files: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
      indexFile: 'model.safetensors.index.json',
      totalBytes: 112,
    });
    const index = JSON.parse(await readFile(join(directory, 'model.safetensors.index.json'), 'utf8'));
    expect(index).toEqual({
      metadata: { total_size: 112 },
      weight_map: {
        a: 'model-00001-of-00002.safetensors',
        b: 'model-00001-of-00002.safetensors',
        c: 'model-00002-of-00002.safetensors',
        d: 'model-00002-of-00002.safetensors',
      },
    });
    const checkpoint = await openSafetensorsDirectory(directory);
    try {
      expect([...checkpoint.entries.keys()]).toEqual(['a', 'b', 'c', 'd']);
      expect(checkpoint.entries.get('c')).toMatchObject({
        dtype: 'BF16',
        shape: [20],
        file: 'model-00002-of-00002.safetensors',
      });
      for (const [name, tensor] of tensors) expect(await checkpoint.readFloat32(name)).toEqual(tensor.data);
      expect(checkpoint.metadata).toEqual({ format: 'pt' });
      await expect(checkpoint.readTensor('zz')).rejects.toThrow(
        `${directory}, field "zz": no such tensor in the checkpoint`,
      );
    } finally {
      await checkpoint.close();
    }

    // Saving again unsharded replaces the shards and the index.
    expect((await writeSafetensorsShards(directory, tensors)).files).toEqual(['model.safetensors']);
    expect((await readdir(directory)).sort()).toEqual(['model.safetensors']);
    const single = await openSafetensorsDirectory(directory);
    expect([...single.entries.values()].map((entry) => entry.file)).toEqual(Array(4).fill('model.safetensors'));
    await single.close();
  });

  it('puts a tensor larger than the shard limit alone in its shard', async () => {
    const directory = join(root, 'oversized');
    await mkdir(directory);
    const written = await writeSafetensorsShards(directory, tensors, { maxShardBytes: 30 });
    expect(written.files).toHaveLength(4);
    const index = JSON.parse(await readFile(join(directory, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.values(index.weight_map)).toEqual(written.files);
  });

  async function shardedCopy(name: string): Promise<string> {
    const directory = join(root, name);
    await mkdir(directory);
    await writeSafetensorsShards(directory, tensors, { maxShardBytes: 64 });
    return directory;
  }

  async function openError(directory: string): Promise<InvalidInputError> {
    const error = await openSafetensorsDirectory(directory).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }

  it('rejects an index that lies about where tensors are, or points outside the folder', async () => {
    const indexOf = (directory: string) => join(directory, 'model.safetensors.index.json');
    const editIndex = async (directory: string, edit: (weightMap: Record<string, string>) => void) => {
      const index = JSON.parse(await readFile(indexOf(directory), 'utf8'));
      edit(index.weight_map);
      await writeFile(indexOf(directory), JSON.stringify(index));
    };

    const moved = await shardedCopy('moved');
    await editIndex(moved, (map) => {
      map.c = 'model-00001-of-00002.safetensors';
    });
    expect((await openError(moved)).message).toBe(
      `${indexOf(moved)}, field "weight_map.c": the index places this tensor in model-00001-of-00002.safetensors, which does not hold it`,
    );

    const unlisted = await shardedCopy('unlisted');
    await editIndex(unlisted, (map) => {
      delete map.d;
    });
    expect((await openError(unlisted)).message).toBe(
      `${join(unlisted, 'model-00002-of-00002.safetensors')}, field "d": holds a tensor that ${indexOf(unlisted)} does not list`,
    );

    const escaping = await shardedCopy('escaping');
    await editIndex(escaping, (map) => {
      map.a = '../elsewhere.safetensors';
    });
    expect((await openError(escaping)).message).toBe(
      `${indexOf(escaping)}, field "weight_map.a": must be a file name in the same folder, got "../elsewhere.safetensors"`,
    );

    const missing = await shardedCopy('missing-shard');
    await rm(join(missing, 'model-00002-of-00002.safetensors'));
    expect((await openError(missing)).message).toContain(
      `${join(missing, 'model-00002-of-00002.safetensors')}: cannot open: ENOENT`,
    );

    const broken = await shardedCopy('broken-index');
    await writeFile(indexOf(broken), '{"weight_map": ');
    expect((await openError(broken)).message).toMatch(new RegExp(`^${indexOf(broken)}: not valid JSON: `));
    await writeFile(indexOf(broken), '{"metadata": {}}');
    expect((await openError(broken)).message).toBe(
      `${indexOf(broken)}, field "weight_map": must be an object mapping tensor names to shard file names`,
    );

    const empty = join(root, 'empty');
    await mkdir(empty);
    expect((await openError(empty)).message).toContain(`${join(empty, 'model.safetensors')}: cannot open: ENOENT`);
  });

  it('a single file written directly opens as a checkpoint', async () => {
    const directory = join(root, 'direct');
    await mkdir(directory);
    await writeSafetensors(join(directory, 'model.safetensors'), tensors.slice(0, 1));
    const checkpoint = await openSafetensorsDirectory(directory);
    expect(await checkpoint.readFloat32('a')).toEqual(vector(10, 0));
    await checkpoint.close();
  });
});
