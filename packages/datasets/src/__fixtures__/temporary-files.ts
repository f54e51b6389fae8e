import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '@research-ts/spec';
import { afterAll, expect } from 'vitest';

/** A fresh folder in os.tmpdir() for one test file, removed after its tests; `write` puts a file in it. */
export function temporaryFolder(prefix: string) {
  const folder = mkdtempSync(join(tmpdir(), `research-ts-datasets-${prefix}-`));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return {
    folder,
    path: (name: string) => join(folder, name),
    write(name: string, content: string | Uint8Array): string {
      const path = join(folder, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** Awaits a promise that must reject with an `InvalidInputError`, and returns that error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<InvalidInputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the promise to reject');
}
