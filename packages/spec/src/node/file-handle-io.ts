import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

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

/**
 * Reads exactly `into.byteLength` bytes at `position` of an open file descriptor, synchronously (a positioned
 * read from the page cache costs microseconds, where a trip through libuv's thread pool costs about 0.3 ms);
 * returns how many were read before end of file.
 */
export function readFullySync(descriptor: number, into: Uint8Array, position: number): number {
  let read = 0;
  while (read < into.byteLength) {
    const length = Math.min(into.byteLength - read, maximumIoLength);
    const count = readSync(descriptor, into, read, length, position + read);
    if (count === 0) break;
    read += count;
  }
  return read;
}
