import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTemporarySibling, temporarySibling, writeFileAtomically, writeJsonAtomically } from './atomic-write';
import { writeFully } from './file-handle-io';

const folder = mkdtempSync(join(tmpdir(), 'spec-atomic-write-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let count = 0;
/** A fresh folder holding `target.txt` with `old contents`. */
function withOldTarget(): { directory: string; target: string } {
  const directory = join(folder, String((count += 1)));
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory);
  const target = join(directory, 'target.txt');
  writeFileSync(target, 'old contents');
  return { directory, target };
}

describe('temporarySibling', () => {
  it('is a hidden name in the same folder that isTemporarySibling recognises', () => {
    const path = temporarySibling('/some/where/model.safetensors', 'staging');
    expect(dirname(path)).toBe('/some/where');
    expect(basename(path)).toMatch(new RegExp(`^\\.model\\.safetensors\\.staging-${process.pid}-[0-9a-f]{8}$`));
    expect(isTemporarySibling(basename(path))).toBe(true);
    expect(temporarySibling('/a/b')).not.toBe(temporarySibling('/a/b'));
    for (const name of ['model.safetensors', '.hidden', 'step-000001', '.partial-step-000009-abcd'])
      expect(isTemporarySibling(name), name).toBe(false);
  });
});

describe('writeFileAtomically', () => {
  it('writes text, bytes, and pieces from sync or async iterables', async () => {
    const { directory, target } = withOldTarget();
    await writeFileAtomically(target, 'new text');
    expect(readFileSync(target, 'utf8')).toBe('new text');
    await writeFileAtomically(target, new Uint8Array([104, 105]));
    expect(readFileSync(target, 'utf8')).toBe('hi');
    await writeFileAtomically(target, ['a', new Uint8Array([0x62]), 'c\u00e9', '']);
    expect(readFileSync(target, 'utf8')).toBe('abc\u00e9');
    await writeFileAtomically(
      target,
      (async function* () {
        for (let index = 0; index < 3; index += 1) yield `${'x'.repeat(700_000)}${index}\n`;
      })(),
    );
    expect(
      readFileSync(target, 'utf8')
        .split('\n')
        .map((line) => line.at(-1)),
    ).toEqual(['0', '1', '2', undefined]);
    expect(readdirSync(directory)).toEqual(['target.txt']);
  });

  it('a write that fails part way leaves the old target and no temporary file', async () => {
    const { directory, target } = withOldTarget();
    const failure = writeFileAtomically(target, async (handle) => {
      await writeFully(handle, new TextEncoder().encode('half of the new'), 0);
      throw new Error('disk on fire');
    });
    await expect(failure).rejects.toThrow('disk on fire');
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(readdirSync(directory)).toEqual(['target.txt']);

    const brokenSource = (function* () {
      yield 'first piece\n';
      throw new Error('source broke');
    })();
    await expect(writeFileAtomically(target, brokenSource, { durable: false })).rejects.toThrow('source broke');
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(readdirSync(directory)).toEqual(['target.txt']);
  });

  it('fails in a missing folder without leaving anything', async () => {
    await expect(writeFileAtomically(join(folder, 'no', 'such', 'file'), 'x')).rejects.toThrow(/ENOENT/);
  });
});

describe('writeJsonAtomically', () => {
  it('writes pretty JSON with a final newline', async () => {
    const { target } = withOldTarget();
    await writeJsonAtomically(target, { format: 'x', files: [{ name: 'a', bytes: 1 }] });
    expect(readFileSync(target, 'utf8')).toBe(
      '{\n  "format": "x",\n  "files": [\n    {\n      "name": "a",\n      "bytes": 1\n    }\n  ]\n}\n',
    );
  });
});
