import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomically, writePieces, type AtomicWriteOptions, type FileContents } from './atomic-write';

/** A file's size and content hash, as a manifest records them. */
export interface FileDigest {
  bytes: number;
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** A manifest entry: a file by its path relative to the manifest's folder (`/`-separated), with its digest. */
export interface NamedFileDigest extends FileDigest {
  name: string;
}

/** A running hash that also sees the bytes (a `node:crypto` `Hash`): for a checksum over several files in order. */
export interface DigestOptions {
  combined?: { update(bytes: Uint8Array): unknown };
}

/** Hashes a file, streamed (`options.combined` sees its bytes too). */
export async function fileDigest(path: string, options: DigestOptions = {}): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    options.combined?.update(buffer);
    bytes += buffer.byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Writes `contents` to `path` atomically (see `writeFileAtomically`), hashing the bytes as they are written;
 * returns their size and SHA-256 for the manifest (`options.combined` sees them too).
 */
export async function writeHashedFile(
  path: string,
  contents: FileContents,
  options: AtomicWriteOptions & DigestOptions = {},
): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  await writeFileAtomically(
    path,
    async (handle) => {
      bytes = await writePieces(handle, contents, (piece) => {
        hash.update(piece);
        options.combined?.update(piece);
      });
    },
    options,
  );
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Writes the data files of a manifest into `directory`, in order, each with {@link writeHashedFile}; returns
 * their entries (`{ name, bytes, sha256 }`). `options.combined` sees the bytes of every file, in that order.
 */
export async function writeHashedFiles(
  directory: string,
  files: Iterable<readonly [name: string, contents: FileContents]>,
  options: AtomicWriteOptions & DigestOptions = {},
): Promise<NamedFileDigest[]> {
  const entries: NamedFileDigest[] = [];
  for (const [name, contents] of files)
    entries.push({ name, ...(await writeHashedFile(join(directory, name), contents, options)) });
  return entries;
}

async function listFiles(directory: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory()) names.push(...(await listFiles(join(directory, entry.name), `${name}/`)));
    else names.push(name);
  }
  return names;
}

/** The digest of every file below `directory`, by `/`-separated relative path, in sorted order. */
export async function digestDirectory(directory: string): Promise<Record<string, FileDigest>> {
  const digests: Record<string, FileDigest> = {};
  for (const name of (await listFiles(directory, '')).sort()) digests[name] = await fileDigest(join(directory, name));
  return digests;
}

/** A file that does not match its manifest entry. */
export interface DigestMismatch {
  /** The entry's name, and the file's path (`directory` joined with it). */
  name: string;
  path: string;
  /** `outside`: the name leaves the folder (absolute, or a `..` part); `missing`: it cannot be read. */
  kind: 'outside' | 'missing' | 'size' | 'sha256';
  expected: FileDigest;
  /** What was found: the size (`size`, `sha256`) and the hash (`sha256`). */
  actual?: Partial<FileDigest>;
  /** One phrase after the name: `is missing`, `has 10 bytes, the manifest says 12`, `does not match its sha256`. */
  problem: string;
  /** The file-system error of a `missing` file. */
  cause?: unknown;
}

/**
 * Checks files against their manifest entries: each must exist below `directory` with the recorded size and
 * SHA-256 (streamed; a file of the wrong size is not hashed). Returns the mismatches in entry order, empty when
 * every file matches. `options.combined` sees the bytes of every file hashed, in entry order.
 */
export async function verifyFileDigests(
  directory: string,
  entries: Iterable<NamedFileDigest>,
  options: DigestOptions = {},
): Promise<DigestMismatch[]> {
  const mismatches: DigestMismatch[] = [];
  for (const { name, bytes, sha256 } of entries) {
    const path = join(directory, name);
    const expected = { bytes, sha256 };
    if (isAbsolute(name) || name.split(/[\\/]/).includes('..')) {
      mismatches.push({ name, path, kind: 'outside', expected, problem: 'is not a path inside the folder' });
      continue;
    }
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      mismatches.push({ name, path, kind: 'missing', expected, problem: 'is missing', cause: error });
      continue;
    }
    if (size !== bytes) {
      const problem = `has ${size} bytes, the manifest says ${bytes}`;
      mismatches.push({ name, path, kind: 'size', expected, actual: { bytes: size }, problem });
      continue;
    }
    const actual = await fileDigest(path, options);
    if (actual.sha256 !== sha256)
      mismatches.push({ name, path, kind: 'sha256', expected, actual, problem: 'does not match its sha256' });
  }
  return mismatches;
}
