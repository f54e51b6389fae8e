import { describe, expect, it } from 'vitest';
import { invocationDirectory } from './invocation-directory';

describe('invocationDirectory', () => {
  const npmRunCli = {
    npm_lifecycle_event: 'cli',
    npm_package_name: '@research-ts/trainer',
    INIT_CWD: '/home/user/data',
  };

  it('is the directory npm was run from when `npm run cli` started the program', () => {
    expect(invocationDirectory(npmRunCli, '/repo/apps/trainer')).toBe('/home/user/data');
  });

  it('is the working directory otherwise: run directly, by npx, or by another npm script that inherited INIT_CWD', () => {
    expect(invocationDirectory({}, '/somewhere')).toBe('/somewhere');
    expect(invocationDirectory({ INIT_CWD: '/home/user', npm_lifecycle_event: 'npx' }, '/home/user/sub')).toBe(
      '/home/user/sub',
    );
    expect(invocationDirectory({ ...npmRunCli, npm_package_name: 'my-pipeline' }, '/home/user/sub')).toBe(
      '/home/user/sub',
    );
    expect(invocationDirectory({ ...npmRunCli, npm_lifecycle_event: 'prepare-data' }, '/home/user/sub')).toBe(
      '/home/user/sub',
    );
    expect(invocationDirectory({ ...npmRunCli, INIT_CWD: '' }, '/repo/apps/trainer')).toBe('/repo/apps/trainer');
  });
});
