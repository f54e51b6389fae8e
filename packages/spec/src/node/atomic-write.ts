import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFully } from './file-handle-io';

/** What a file is written from: a whole text or byte array, or pieces of them in order (sync or async). */
export type FileContents = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export interface AtomicWriteOptions {
  /** fsync the file before renaming it into place, so a crash leaves the old file or the whole new one. Default true. */
  durable?: boolean;
}

const temporaryPattern = /^\..+\.[a-z]+-\d+-[0-9a-f]{8}$/;

/**
 * A hidden sibling path of `target` to write before a rename: in the same folder, so the rename is atomic.
 * `.model.safetensors.tmp-4242-1a2b3c4d` for `model.safetensors`; `purpose` is a lowercase word.
 */
export function temporarySibling(target: string, purpose = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.${purpose}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Whether a file name is one {@link temporarySibling} makes: the leftover of a write that did not finish. */
export function isTemporarySibling(name: string): boolean {
  return temporaryPattern.test(name);
}

const flushThreshold = 1 << 20;

/**
 * Writes `pieces` from the start of `handle`, text as UTF-8 (short strings are joined into writes of about
 * 1 MiB). `observe` sees every byte written, in order. Returns the number of bytes written.
 */
export async function writePieces(
  handle: FileHandle,
  pieces: FileContents,
  observe?: (bytes: Uint8Array) => void,
): Promise<number> {
  let position = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    observe?.(bytes);
    await writeFully(handle, bytes, position);
    position += bytes.byteLength;
  };
  if (typeof pieces === 'string') pieces = [pieces];
  if (pieces instanceof Uint8Array) pieces = [pieces];
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingLength = 0;
    await write(Buffer.from(text, 'utf8'));
  };
  for await (const piece of pieces) {
    if (typeof piece === 'string') {
      pending.push(piece);
      pendingLength += piece.length;
      if (pendingLength >= flushThreshold) await flush();
    } else {
      await flush();
      if (piece.byteLength > 0) await write(piece);
    }
  }
  await flush();
  return position;
}

/**
 * Writes `target` atomically: the contents go to a {@link temporarySibling}, which is flushed to disk (unless
 * `durable: false`) and renamed onto `target` only when everything was written. Readers see the old file or
 * the whole new one; on failure the temporary file is removed, `target` is left as it was, and the error is
 * rethrown. `contents` is the data, or a function that writes through the temporary file's open handle.
 */
export async function writeFileAtomically(
  target: string,
  contents: FileContents | ((handle: FileHandle) => Promise<void>),
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporarySibling(target);
  const handle = await open(temporary, 'wx');
  try {
    if (typeof contents === 'function') await contents(handle);
    else await writePieces(handle, contents);
    if (options.durable ?? true) await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Writes `value` as pretty JSON (2-space indent, a final newline) with {@link writeFileAtomically}. */
export async function writeJsonAtomically(
  path: string,
  value: unknown,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value, null, 2)}\n`, options);
}
