import { closeSync, fstatSync, openSync } from 'node:fs';
import { InvalidInputError } from '@research-ts/spec';
import { readFullySync } from '@research-ts/spec/node';

/**
 * The full-precision passage vectors that HNSW candidates are rescored with: `[count, dimension]` float32,
 * either an array in memory (a retriever just built) or a file read by offset (a loaded one, so that a
 * million 768-dimensional vectors — 3 GB — never sit on the JS heap).
 */
export interface PassageVectors {
  readonly count: number;
  readonly dimension: number;
  /** Copies row `indices[j]` into `into[j * dimension ..]`, for each `j`. */
  gather(indices: ArrayLike<number>, into: Float32Array): void;
  /** Rows `start..end`, `[end - start, dimension]` row-major (a new array or a view). */
  rows(start: number, end: number): Float32Array;
  close(): void;
}

/** Vectors held in memory (not copied). */
export function vectorsInMemory(rows: Float32Array, dimension: number): PassageVectors {
  return {
    count: rows.length / dimension,
    dimension,
    gather(indices, into) {
      for (let index = 0; index < indices.length; index += 1) {
        const row = indices[index]!;
        into.set(rows.subarray(row * dimension, (row + 1) * dimension), index * dimension);
      }
    },
    rows: (start, end) => rows.subarray(start * dimension, end * dimension),
    close() {},
  };
}

/**
 * Vectors in a file of little-endian float32 rows, read by offset (one positioned read per row; the OS page
 * cache keeps the rows that searches touch). The file is checked to hold exactly `count × dimension` values
 * when opened, and every read must return a whole row: a file truncated later fails the search with an
 * `InvalidInputError` naming it.
 */
export function vectorsFromFile(path: string, count: number, dimension: number): PassageVectors {
  const rowBytes = dimension * 4;
  let descriptor: number | undefined;
  try {
    descriptor = openSync(path, 'r');
    const { size } = fstatSync(descriptor);
    if (size !== count * rowBytes) {
      throw new InvalidInputError(
        `has ${size} bytes; ${count} passages × dimension ${dimension} × 4 need ${count * rowBytes}`,
        { source: path },
      );
    }
  } catch (error) {
    if (descriptor !== undefined) closeSync(descriptor);
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  const file = descriptor;
  let open = true;
  const readRow = (row: number, into: Float32Array, offset: number): void => {
    if (!open) throw new InvalidInputError('was closed (the retriever was disposed)', { source: path });
    const bytes = new Uint8Array(into.buffer, into.byteOffset + offset * 4, rowBytes);
    const read = readFullySync(file, bytes, row * rowBytes);
    if (read !== rowBytes) {
      throw new InvalidInputError(
        `row ${row} could not be read (${read} of ${rowBytes} bytes): the file was truncated after it was opened`,
        { source: path },
      );
    }
  };
  return {
    count,
    dimension,
    gather(indices, into) {
      for (let index = 0; index < indices.length; index += 1) readRow(indices[index]!, into, index * dimension);
    },
    rows(start, end) {
      const rows = new Float32Array((end - start) * dimension);
      if (end > start) {
        if (!open) throw new InvalidInputError('was closed (the retriever was disposed)', { source: path });
        const bytes = new Uint8Array(rows.buffer);
        if (readFullySync(file, bytes, start * rowBytes) < bytes.byteLength)
          throw new InvalidInputError(`ends before row ${end}: the file was truncated after it was opened`, {
            source: path,
          });
      }
      return rows;
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(file);
    },
  };
}
