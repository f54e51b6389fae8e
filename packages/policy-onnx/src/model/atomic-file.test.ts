import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFully, writeFileAtomically, writeFully } from './atomic-file';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'policy-onnx-atomic-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeFileAtomically', () => {
  it('replaces the target only when the write finished', async () => {
    const target = join(directory, 'file.bin');
    await writeFile(target, 'old contents');
    await expect(
      writeFileAtomically(target, async (handle) => {
        await writeFully(handle, new TextEncoder().encode('half of the new'), 0);
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await readFile(target, 'utf8')).toBe('old contents');
    expect(await readdir(directory)).toEqual(['file.bin']); // the temporary file is gone
    await writeFileAtomically(target, (handle) => writeFully(handle, new TextEncoder().encode('new contents'), 0), {
      durable: false,
    });
    expect(await readFile(target, 'utf8')).toBe('new contents');
    expect(await readdir(directory)).toEqual(['file.bin']);
  });

  it('readFully reports a short read at the end of the file', async () => {
    const path = join(directory, 'short.bin');
    await writeFile(path, Uint8Array.from([1, 2, 3, 4, 5]));
    const handle = await open(path, 'r');
    const into = new Uint8Array(4);
    expect(await readFully(handle, into, 3)).toBe(2);
    expect(Array.from(into.subarray(0, 2))).toEqual([4, 5]);
    expect(await readFully(handle, into, 0)).toBe(4);
    await handle.close();
  });
});
