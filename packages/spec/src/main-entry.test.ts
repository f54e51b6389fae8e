import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module the main entry reaches through relative imports, and the bare specifiers they import. */
function reachableImports(entry: string): { files: string[]; specifiers: string[] } {
  const files = new Set<string>();
  const specifiers = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
      if (specifier!.startsWith('.')) visit(`${resolve(dirname(file), specifier!)}.ts`);
      else specifiers.add(specifier!);
    }
  };
  visit(entry);
  return { files: [...files], specifiers: [...specifiers] };
}

describe('the main entry', () => {
  it('imports nothing from node: or elsewhere (it runs in browsers; Node-only code is in ./node)', () => {
    const { files, specifiers } = reachableImports(join(import.meta.dirname, 'index.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((file) => file.includes('/node/'))).toEqual([]);
    expect(specifiers).toEqual([]);
  });
});
