import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A hidden sibling path of `target` for writing before the rename: same folder, so rename is atomic. */
export function temporarySibling(target: string, purpose = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.${purpose}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export interface AtomicWriteOptions {
  /** fsync the file before renaming it into place, so a crash leaves the old file or the whole new one. Default true. */
  durable?: boolean;
}

/**
 * Writes `target` through `write`, which receives an open handle of a temporary file in the same
 * folder; the temporary file is renamed onto `target` only when `write` finished, and removed if it threw.
 */
export async function writeFileAtomically(
  target: string,
  write: (handle: FileHandle) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporarySibling(target);
  const handle = await open(temporary, 'wx');
  try {
    await write(handle);
    if (options.durable ?? true) await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

const maximumIoLength = 0x4000_0000; // 1 GiB per read or write call, below the 2 GiB limit of one call

/** Writes all of `bytes` at `position` (a single `write` call may write less than asked). */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const length = Math.min(bytes.byteLength - written, maximumIoLength);
    const { bytesWritten } = await handle.write(bytes, written, length, position + written);
    if (bytesWritten === 0) throw new Error(`write returned 0 bytes at position ${position + written}`);
    written += bytesWritten;
  }
}

/** Reads exactly `into.byteLength` bytes at `position`; returns how many were read before end of file. */
export async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let read = 0;
  while (read < into.byteLength) {
    const length = Math.min(into.byteLength - read, maximumIoLength);
    const { bytesRead } = await handle.read(into, read, length, position + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return read;
}
