import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';

/**
 * Where the trainer writes weights and where the inference server reads them: the same directory seen
 * from two machines (a shared filesystem), or from one (`serverRoot` = `localRoot`).
 */
export interface PathMapping {
  /** The trainer-side directory that the server can read, an absolute POSIX path (`/mnt/shared/research-ts`). */
  localRoot: string;
  /** The same directory as the server sees it (`/shared/research-ts`). Default: `localRoot`. */
  serverRoot?: string;
}

/** An absolute POSIX path with `.` and `..` resolved and no trailing slash; undefined when not absolute. */
function normalizeAbsolute(path: string): string | undefined {
  if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Checks a {@link PathMapping} and returns the function from a trainer-side directory to the server's path. */
export function createServerPathMapping(mapping: PathMapping): (localDirectory: string) => string {
  const localRoot = normalizeAbsolute(mapping.localRoot);
  if (localRoot === undefined) {
    throw new InvalidConfigError(
      'localRoot',
      `must be an absolute POSIX path, got ${JSON.stringify(mapping.localRoot)}`,
    );
  }
  const serverRoot = normalizeAbsolute(mapping.serverRoot ?? mapping.localRoot);
  if (serverRoot === undefined) {
    throw new InvalidConfigError(
      'serverRoot',
      `must be an absolute POSIX path, got ${JSON.stringify(mapping.serverRoot)}`,
    );
  }
  const prefix = localRoot === '/' ? '/' : `${localRoot}/`;
  return (localDirectory) => {
    const local = normalizeAbsolute(localDirectory);
    if (local === undefined || !local.startsWith(prefix) || local.length === prefix.length) {
      throw new InvalidInputError(
        `${JSON.stringify(localDirectory)} is not a directory inside localRoot ${JSON.stringify(localRoot)}, so the ` +
          `inference server cannot read it: write the weights under localRoot (the directory the server sees as ` +
          `${JSON.stringify(serverRoot)})`,
        { field: 'localDirectory' },
      );
    }
    const rest = local.slice(prefix.length);
    return serverRoot === '/' ? `/${rest}` : `${serverRoot}/${rest}`;
  };
}
