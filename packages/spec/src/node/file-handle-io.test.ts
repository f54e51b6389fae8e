import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFully, readFullySync, writeFully } from './file-handle-io';

const folder = mkdtempSync(join(tmpdir(), 'spec-file-handle-io-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('writeFully and readFully', () => {
  it('write at a position, and report a short read at the end of the file', async () => {
    const handle = await open(join(folder, 'bytes'), 'w+');
    try {
      await writeFully(handle, Uint8Array.of(1, 2, 3), 0);
      await writeFully(handle, Uint8Array.of(4, 5), 3);
      const into = new Uint8Array(4);
      expect(await readFully(handle, into, 3)).toBe(2);
      expect([...into.subarray(0, 2)]).toEqual([4, 5]);
      expect(await readFully(handle, into, 0)).toBe(4);
      expect([...into]).toEqual([1, 2, 3, 4]);
      // the synchronous read over the descriptor reads the same bytes and reports the same short read
      const again = new Uint8Array(4);
      expect(readFullySync(handle.fd, again, 1)).toBe(4);
      expect([...again]).toEqual([2, 3, 4, 5]);
      expect(readFullySync(handle.fd, again, 4)).toBe(1);
      expect(readFullySync(handle.fd, again, 9)).toBe(0);
    } finally {
      await handle.close();
    }
  });
});
