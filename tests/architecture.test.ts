import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engines, layerTable } from './layers';

const root = resolve(import.meta.dirname, '..');
const scope = '@research-ts/';

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (entry === 'node_modules' || entry === 'dist') return [];
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** Module specifiers a source file imports (static, dynamic, require, re-export). */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(importPattern)].map((match) => match[1]!);
}

/** The package a bare specifier names (`@scope/name` or `name`); undefined for relative and node: specifiers. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const isTestFile = (path: string) =>
  /\.(test|bench)\.ts$/.test(path) || /[/\\](__fixtures__|test|bench|tools)[/\\]/.test(path);

interface SourceFile {
  path: string;
  source: string;
}

/** Every way `files` (the sources of package `name`, under `directory`) break the layer table. */
function layerViolations(
  name: string,
  directory: string,
  dependencies: readonly string[],
  files: readonly SourceFile[],
): string[] {
  const row = layerTable[name];
  if (row === undefined) return [`${name} is not in the layer table (tests/layers.ts, DESIGN.md)`];
  const allowed = new Set(row.mayImport.map((other) => scope + other));
  const violations = dependencies
    .filter((dependency) => dependency.startsWith(scope) && !allowed.has(dependency))
    .map((dependency) => `package.json depends on ${dependency}`);
  const engineFiles = new Map<string, string[]>();
  for (const { path, source } of files) {
    const test = isTestFile(path);
    const where = relative(directory, path);
    for (const specifier of importSpecifiers(source)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(path), specifier);
        if (!target.startsWith(directory + '/'))
          violations.push(`${where} reaches outside its package through ${specifier}`);
        continue;
      }
      const imported = packageOf(specifier);
      if (imported === undefined) continue;
      if (imported === scope + name) violations.push(`${where} imports its own package by name`);
      else if (imported.startsWith(scope)) {
        const other = imported.slice(scope.length);
        const lowerForTests = test && (other === 'testing' || (layerTable[other]?.layer ?? 99) < row.layer);
        if (!allowed.has(imported) && !lowerForTests)
          violations.push(`${where} imports ${imported} (layer ${layerTable[other]?.layer ?? '?'})`);
      } else if (imported in engines && !test) {
        if (!engines[imported]!.includes(name))
          violations.push(`${where} imports the engine ${imported}, allowed only in ${engines[imported]!.join(', ')}`);
        engineFiles.set(imported, [...new Set([...(engineFiles.get(imported) ?? []), where])]);
      }
    }
  }
  for (const [engine, paths] of engineFiles) {
    if (paths.length > 1)
      violations.push(`${engine} enters ${name} through ${paths.length} files (${paths.join(', ')}), not one`);
  }
  return violations;
}

const packageNames = readdirSync(join(root, 'packages')).filter((name) =>
  statSync(join(root, 'packages', name)).isDirectory(),
);

describe('architecture: the layer table of DESIGN.md', () => {
  it('reads every import form', () => {
    const sample = `import a from '@research-ts/spec';\nimport type { B } from "@research-ts/tags/x";\nconst c = await import('flexsearch');\nrequire('onnxruntime-node');\nimport './local';\nexport { d } from '@scope/pkg';`;
    expect(importSpecifiers(sample).map(packageOf).filter(Boolean).sort()).toEqual([
      '@research-ts/spec',
      '@research-ts/tags',
      '@scope/pkg',
      'flexsearch',
      'onnxruntime-node',
    ]);
  });

  it('catches each kind of violation', () => {
    const directory = '/repo/packages/tags';
    const files = [
      { path: `${directory}/src/a.ts`, source: `import { x } from '@research-ts/evaluators';` },
      { path: `${directory}/src/b.ts`, source: `import { y } from '../../rollout/src/index';` },
      { path: `${directory}/src/c.ts`, source: `import { z } from '@research-ts/tags';` },
      { path: `${directory}/src/d.ts`, source: `import * as ort from 'onnxruntime-node';` },
      {
        path: `${directory}/src/e.test.ts`,
        source: `import { s } from '@research-ts/spec'; import { t } from '@research-ts/testing';`,
      },
    ];
    expect(layerViolations('tags', directory, ['@research-ts/spec', '@research-ts/grpo'], files)).toEqual([
      'package.json depends on @research-ts/grpo',
      'src/a.ts imports @research-ts/evaluators (layer 1)',
      'src/b.ts reaches outside its package through ../../rollout/src/index',
      'src/c.ts imports its own package by name',
      'src/d.ts imports the engine onnxruntime-node, allowed only in policy-onnx, retriever-dense',
    ]);
    const twoDoors = [
      { path: '/repo/packages/policy-onnx/src/a.ts', source: `import 'onnxruntime-node';` },
      { path: '/repo/packages/policy-onnx/src/b.ts', source: `import 'onnxruntime-node';` },
    ];
    expect(layerViolations('policy-onnx', '/repo/packages/policy-onnx', [], twoDoors)).toEqual([
      'onnxruntime-node enters policy-onnx through 2 files (src/a.ts, src/b.ts), not one',
    ]);
  });

  for (const name of packageNames) {
    it(`${name} imports only what its row allows`, () => {
      const directory = join(root, 'packages', name);
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      const files = listFiles(join(directory, 'src'))
        .filter((path) => path.endsWith('.ts'))
        .map((path) => ({ path, source: readFileSync(path, 'utf8') }));
      const dependencies = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
      expect(layerViolations(name, directory, dependencies, files)).toEqual([]);
    });
  }

  it('docs/architecture.md draws every package of the table', () => {
    const drawing = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
    expect(Object.keys(layerTable).filter((name) => !drawing.includes(name))).toEqual([]);
  });
});
