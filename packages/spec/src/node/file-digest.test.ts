import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { digestDirectory, fileDigest, verifyFileDigests, writeHashedFile, writeHashedFiles } from './file-digest';

const root = mkdtempSync(join(tmpdir(), 'spec-file-digest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('writeHashedFile and writeHashedFiles', () => {
  it('returns the size and SHA-256 of what it wrote, and feeds a combined hash', async () => {
    const directory = join(root, 'written');
    mkdirSync(directory);
    const combined = createHash('sha256');
    const lines = Array.from({ length: 50_000 }, (_, index) => `{"id":"${index}","contents":"caf\u00e9 ${index}"}\n`);
    const entries = await writeHashedFiles(
      directory,
      [
        ['passages.jsonl', lines],
        ['lengths.u32le', [Uint8Array.of(1, 0, 0, 0)]],
      ],
      { combined },
    );
    const text = readFileSync(join(directory, 'passages.jsonl'));
    expect(text.toString('utf8')).toBe(lines.join(''));
    const [first, second] = entries;
    expect(first).toEqual({ name: 'passages.jsonl', bytes: text.byteLength, sha256: sha256(text) });
    expect(second).toEqual({ name: 'lengths.u32le', bytes: 4, sha256: sha256(Uint8Array.of(1, 0, 0, 0)) });
    expect(combined.digest('hex')).toBe(sha256(Buffer.concat([text, Uint8Array.of(1, 0, 0, 0)])));
    expect(await fileDigest(join(directory, 'passages.jsonl'))).toEqual({ bytes: first!.bytes, sha256: first!.sha256 });
    expect(readdirSync(directory).sort()).toEqual(['lengths.u32le', 'passages.jsonl']);
  });

  it('a failing source leaves the old file and no temporary file', async () => {
    const directory = join(root, 'failing');
    mkdirSync(directory);
    writeFileSync(join(directory, 'data.jsonl'), 'old\n');
    const pieces = (async function* () {
      yield 'new\n';
      throw new Error('source broke');
    })();
    await expect(writeHashedFile(join(directory, 'data.jsonl'), pieces)).rejects.toThrow('source broke');
    expect(readFileSync(join(directory, 'data.jsonl'), 'utf8')).toBe('old\n');
    expect(readdirSync(directory)).toEqual(['data.jsonl']);
  });
});

describe('digestDirectory and verifyFileDigests', () => {
  it('a folder that was not touched verifies, with the same combined checksum', async () => {
    const directory = join(root, 'intact');
    mkdirSync(join(directory, 'model'), { recursive: true });
    writeFileSync(join(directory, 'state.json'), '{}\n');
    writeFileSync(join(directory, 'model', 'config.json'), '{"a":1}\n');
    writeFileSync(join(directory, 'model', 'b.bin'), Uint8Array.of(9, 8, 7));
    const digests = await digestDirectory(directory);
    expect(Object.keys(digests)).toEqual(['model/b.bin', 'model/config.json', 'state.json']);
    expect(digests['state.json']).toEqual({ bytes: 3, sha256: sha256('{}\n') });
    const combined = createHash('sha256');
    const entries = Object.entries(digests).map(([name, digest]) => ({ name, ...digest }));
    expect(await verifyFileDigests(directory, entries, { combined })).toEqual([]);
    expect(combined.digest('hex')).toBe(sha256(Buffer.from('\x09\x08\x07{"a":1}\n{}\n', 'latin1')));
  });

  it('names each file that is missing, resized, changed or outside the folder', async () => {
    const directory = join(root, 'damaged');
    mkdirSync(directory);
    for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(directory, name), `contents of ${name}`);
    const entries = Object.entries(await digestDirectory(directory)).map(([name, digest]) => ({ name, ...digest }));
    rmSync(join(directory, 'a'));
    writeFileSync(join(directory, 'b'), 'contents of b, longer');
    writeFileSync(join(directory, 'c'), 'contents of C');
    const mismatches = await verifyFileDigests(directory, [...entries, { ...entries[3]!, name: '../d' }]);
    expect(mismatches.map(({ name, kind, problem }) => `${name} ${problem} (${kind})`)).toEqual([
      'a is missing (missing)',
      'b has 21 bytes, the manifest says 13 (size)',
      'c does not match its sha256 (sha256)',
      '../d is not a path inside the folder (outside)',
    ]);
    expect(mismatches[0]!.path).toBe(join(directory, 'a'));
    expect((mismatches[0]!.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(mismatches[2]!.actual).toEqual({ bytes: 13, sha256: sha256('contents of C') });
    expect(mismatches[2]!.expected).toEqual({ bytes: 13, sha256: sha256('contents of c') });
  });
});
