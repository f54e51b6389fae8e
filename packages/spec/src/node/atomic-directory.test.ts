import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDirectoryAtomically } from './atomic-directory';

const root = mkdtempSync(join(tmpdir(), 'spec-atomic-directory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeDirectoryAtomically', () => {
  it('creates the folder (and its parent), then replaces it whole', async () => {
    const target = join(root, 'runs', 'step-000001');
    await writeDirectoryAtomically(target, async (staging) => {
      await writeFile(join(staging, 'a.txt'), 'first');
      await writeFile(join(staging, 'b.txt'), 'first');
    });
    expect(readdirSync(target).sort()).toEqual(['a.txt', 'b.txt']);
    await writeDirectoryAtomically(target, (staging) => writeFile(join(staging, 'a.txt'), 'second'));
    expect(readdirSync(target)).toEqual(['a.txt']);
    expect(readFileSync(join(target, 'a.txt'), 'utf8')).toBe('second');
    expect(readdirSync(join(root, 'runs'))).toEqual(['step-000001']);
  });

  it('a fill that fails leaves the old folder as it was and no staging folder', async () => {
    const parent = join(root, 'failing');
    const target = join(parent, 'model');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'config.json'), '{"old":true}');
    const failure = writeDirectoryAtomically(target, async (staging) => {
      await writeFile(join(staging, 'config.json'), '{"new":true}');
      throw new Error('out of space');
    });
    await expect(failure).rejects.toThrow('out of space');
    expect(readFileSync(join(target, 'config.json'), 'utf8')).toBe('{"old":true}');
    expect(readdirSync(parent)).toEqual(['model']);
  });
});
