import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { writeFully } from '@research-ts/spec/node';
import { ByteWriter } from './byte-writer';

const flushBytes = 1 << 20;

/**
 * A new file written front to back through a 1 MiB buffer ({@link ByteWriter}: write into `buffer`, then
 * `await maybeFlush()`), hashed with SHA-256 on the way unless `hashed: false`. Inside an index's staging
 * folder, which becomes the index only once complete, so the file itself needs no atomic rename.
 */
export class AppendingFile {
  readonly buffer = new ByteWriter(flushBytes + (1 << 16));
  private position = 0;
  private readonly hash: Hash | undefined;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    hashed: boolean,
  ) {
    this.hash = hashed ? createHash('sha256') : undefined;
  }

  static async create(path: string, options: { hashed?: boolean } = {}): Promise<AppendingFile> {
    return new AppendingFile(path, await open(path, 'wx'), options.hashed ?? true);
  }

  /** Bytes written so far, buffered ones included (the offset of the next byte). */
  get bytes(): number {
    return this.position + this.buffer.length;
  }

  /** Writes the buffer out once it holds 1 MiB or more. */
  async maybeFlush(): Promise<void> {
    if (this.buffer.length >= flushBytes) await this.flush();
  }

  /** Writes `bytes` (any size) after what was written. */
  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= flushBytes) {
      await this.flush();
      this.hash?.update(bytes);
      await writeFully(this.handle, bytes, this.position);
      this.position += bytes.length;
      return;
    }
    this.buffer.raw(bytes);
    await this.maybeFlush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const bytes = this.buffer.view();
    this.hash?.update(bytes);
    await writeFully(this.handle, bytes, this.position);
    this.position += bytes.length;
    this.buffer.clear();
  }

  /** Flushes, syncs and closes; returns the size and SHA-256 ('' when not hashed). */
  async close(): Promise<{ bytes: number; sha256: string }> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    return { bytes: this.position, sha256: this.hash?.digest('hex') ?? '' };
  }

  /** Closes without syncing, ignoring errors (after a failure). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
