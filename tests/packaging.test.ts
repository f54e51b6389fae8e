import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickStartBlocks } from './support/quick-start-blocks';

// What a stranger gets from npm: every package is packed from its built dist, all tarballs are installed
// together into a fresh project outside the workspace (third-party dependencies from the npm cache or
// registry), and each package is imported there with `import` and with `require`, and its README quick start
// is run with plain node.
const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const packageDirectories = [
  ...readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}`)
    .filter((directory) => existsSync(join(root, directory, 'package.json'))),
  'apps/trainer',
];
interface Manifest {
  name: string;
  private?: boolean;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
}
const manifests = new Map(
  packageDirectories.map((directory) => [
    directory,
    JSON.parse(readFileSync(join(root, directory, 'package.json'), 'utf8')) as Manifest,
  ]),
);

/** Packages published as ESM only (no `require` condition): `@research-ts/testing` imports vitest, which refuses `require()`. */
const isEsmOnly = (manifest: Manifest) => {
  const root = manifest.exports?.['.'];
  return typeof root === 'object' && root !== null && !('require' in root);
};

const workDirectory = mkdtempSync(join(tmpdir(), 'research-ts-packaging-'));
const tarballDirectory = join(workDirectory, 'tarballs');
const projectDirectory = join(workDirectory, 'project');
/** The tarball file list of each package, from `npm pack --json`. */
const packedFiles = new Map<string, string[]>();

/** The environment of a child npm/node: without the npm_* variables of an enclosing `npm test`, which point at the workspace. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) environment[key] = value;
  return { ...environment, NODE_NO_WARNINGS: '1', ONNXRUNTIME_NODE_INSTALL: 'skip', NO_UPDATE_NOTIFIER: '1' };
}

async function node(argumentsList: string[], timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, argumentsList, {
    cwd: projectDirectory,
    env: cleanEnvironment(),
    timeout,
    maxBuffer: 32 * 1024 * 1024,
  });
}

beforeAll(async () => {
  const unbuilt = packageDirectories.filter(
    (directory) =>
      !existsSync(join(root, directory, 'dist', 'index.js')) ||
      (!isEsmOnly(manifests.get(directory)!) && !existsSync(join(root, directory, 'dist', 'index.cjs'))),
  );
  if (unbuilt.length > 0) {
    throw new Error(
      `no built dist/ in ${unbuilt.join(', ')}: run \`npm run build\` first (\`npm test\` builds before it runs vitest)`,
    );
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const workspaces = packageDirectories.flatMap((directory) => ['-w', directory]);
  mkdirSync(tarballDirectory, { recursive: true });
  const packed = await run(
    npm,
    ['pack', ...workspaces, '--pack-destination', tarballDirectory, '--json', '--ignore-scripts'],
    {
      cwd: root,
      env: cleanEnvironment(),
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const entries = JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  for (const entry of entries)
    packedFiles.set(
      entry.name,
      entry.files.map((file) => file.path),
    );

  mkdirSync(projectDirectory, { recursive: true });
  writeFileSync(
    join(projectDirectory, 'package.json'),
    JSON.stringify({ name: 'research-ts-packaging-check', version: '1.0.0', private: true }, null, 2),
  );
  // onnxruntime-node's postinstall downloads CUDA libraries from outside the npm registry: skip it.
  writeFileSync(join(projectDirectory, '.npmrc'), 'onnxruntime-node-install=skip\nfund=false\naudit=false\n');
  const tarballs = entries.map((entry) => join(tarballDirectory, entry.filename));
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], {
    cwd: projectDirectory,
    env: cleanEnvironment(),
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}, 300_000);

afterAll(() => rmSync(workDirectory, { recursive: true, force: true }));

describe('packages as published', () => {
  it('packs every package, with its dist, README and no tests', () => {
    expect([...packedFiles.keys()].sort()).toEqual([...manifests.values()].map((manifest) => manifest.name).sort());
    const byName = new Map([...manifests.values()].map((manifest) => [manifest.name, manifest]));
    for (const [name, files] of packedFiles) {
      const esmOnly = isEsmOnly(byName.get(name)!);
      for (const required of [
        'package.json',
        'README.md',
        'dist/index.js',
        'dist/index.d.ts',
        ...(esmOnly ? [] : ['dist/index.cjs', 'dist/index.d.cts']),
      ]) {
        expect(files, `${name} lacks ${required}`).toContain(required);
      }
      expect(
        files.filter((file) => /\.test\.ts$|__fixtures__|\.tsbuildinfo$/.test(file)),
        `${name} ships test files`,
      ).toEqual([]);
    }
  });

  for (const directory of packageDirectories) {
    const manifest = manifests.get(directory)!;
    const name = manifest.name;

    it(`${name}: import and require give the same non-empty named exports as the source, from the project's node_modules`, async () => {
      const esm = await node([
        '--input-type=module',
        '-e',
        `import * as m from '${name}'; console.log(JSON.stringify({ keys: Object.keys(m).sort(), at: import.meta.resolve('${name}') }));`,
      ]);
      const imported = JSON.parse(esm.stdout) as { keys: string[]; at: string };
      expect(imported.at.startsWith(`file://${projectDirectory}/node_modules/`), imported.at).toBe(true);
      expect(imported.keys.length).toBeGreaterThan(0);
      const source = (await import(/* @vite-ignore */ name)) as Record<string, unknown>;
      expect(imported.keys).toEqual(Object.keys(source).sort());

      const requireScript = `const m = require('${name}'); console.log(JSON.stringify({ keys: Object.keys(m).filter((k) => k !== '__esModule').sort(), at: require.resolve('${name}') }));`;
      if (isEsmOnly(manifest)) return;
      const cjs = await node(['-e', requireScript]);
      const required = JSON.parse(cjs.stdout) as { keys: string[]; at: string };
      expect(required.at).toBe(join(projectDirectory, 'node_modules', name, 'dist', 'index.cjs'));
      expect(required.keys).toEqual(imported.keys);
    });

    const readmePath = join(root, directory, 'README.md');
    const blocks = existsSync(readmePath) ? quickStartBlocks(readFileSync(readmePath, 'utf8')) : [];
    if (directory.startsWith('packages/') || blocks.length > 0) {
      it(`${name}: the README quick start runs against the installed package`, async () => {
        expect(blocks, `${directory}/README.md has exactly one \`\`\`ts block`).toHaveLength(1);
        // Strip the types with TypeScript itself (the project has no tsx), then run the result as an ES module.
        const javascript = ts.transpileModule(blocks[0]!, {
          compilerOptions: {
            module: ts.ModuleKind.ESNext,
            target: ts.ScriptTarget.ES2022,
            verbatimModuleSyntax: false,
          },
          reportDiagnostics: false,
        }).outputText;
        const file = join(projectDirectory, `quick-start-${name.replace(/\W+/g, '-')}.mjs`);
        writeFileSync(file, javascript);
        const { stdout } = await node([file]);
        expect(stdout.trim().length, 'the quick start prints what it shows').toBeGreaterThan(0);
      }, 150_000);
    }

    for (const [command, target] of Object.entries(manifest.bin ?? {})) {
      it(`${name}: the \`${command}\` bin (${target}) runs --help from node_modules/.bin`, async () => {
        const { stdout } = await run(join(projectDirectory, 'node_modules', '.bin', command), ['--help'], {
          cwd: projectDirectory,
          env: cleanEnvironment(),
          timeout: 60_000,
        });
        expect(stdout).toContain(command);
      });
    }
  }
});
