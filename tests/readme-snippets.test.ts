import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Each package README has exactly one ```ts block: its quick start. It must run as written, from the
// package's folder, against the package's source (the `@research-ts/source` condition), with no network.
const root = resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const packages = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'package.json')),
);

export function quickStartBlocks(readme: string): string[] {
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

describe('README quick starts', () => {
  it('finds ts blocks and ignores others', () => {
    expect(quickStartBlocks('# x\n```ts\nconsole.log(1);\n```\n```js\nno\n```\n')).toEqual(['console.log(1);\n']);
  });

  for (const name of packages) {
    it(`packages/${name}/README.md has one quick start that runs`, async () => {
      const directory = join(root, 'packages', name);
      const readmePath = join(directory, 'README.md');
      expect(existsSync(readmePath), `${readmePath} is missing`).toBe(true);
      const blocks = quickStartBlocks(readFileSync(readmePath, 'utf8'));
      expect(blocks, 'exactly one ```ts block').toHaveLength(1);
      const file = join(directory, `.readme-quick-start-${process.pid}.ts`);
      writeFileSync(file, blocks[0]!);
      try {
        const { stdout } = await run(process.execPath, ['--conditions=@research-ts/source', '--import', 'tsx', file], {
          cwd: directory,
          timeout: 120_000,
          env: { ...process.env, NODE_NO_WARNINGS: '1' },
        });
        expect(stdout.trim().length, 'the quick start prints what it shows').toBeGreaterThan(0);
      } finally {
        rmSync(file, { force: true });
      }
    }, 150_000);
  }
});
