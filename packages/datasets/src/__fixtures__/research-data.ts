import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The shared research data: walk up from this package to the repository root (the folder whose package.json
 * declares workspaces) and take `../shared/research-data`. CI keeps a copy of `shared/` beside the clone.
 */
export function researchDataPath(...parts: string[]): string {
  let directory = resolve(import.meta.dirname);
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && 'workspaces' in JSON.parse(readFileSync(manifest, 'utf8'))) break;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no repository root above ${import.meta.dirname}`);
    directory = parent;
  }
  const data = join(directory, '..', 'shared', 'research-data');
  if (!existsSync(data)) throw new Error(`the shared research data is missing: expected ${data}`);
  return join(data, ...parts);
}
