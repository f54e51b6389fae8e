import { InvalidConfigError, InvalidInputError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { createServerPathMapping } from './server-path';

describe('createServerPathMapping', () => {
  const serverPath = createServerPathMapping({ localRoot: '/mnt/shared/run/', serverRoot: '/data/run' });

  it('maps a directory under localRoot to the same place under serverRoot', () => {
    expect(serverPath('/mnt/shared/run/v3')).toBe('/data/run/v3');
    expect(serverPath('/mnt/shared/run/adapters/./v4/')).toBe('/data/run/adapters/v4');
    expect(createServerPathMapping({ localRoot: '/tmp/run' })('/tmp/run/v1')).toBe('/tmp/run/v1');
  });

  it('refuses a directory outside localRoot, localRoot itself, a relative path, and a .. escape', () => {
    for (const directory of [
      '/mnt/shared/other/v1',
      '/mnt/shared/run',
      '/mnt/shared/runner/v1',
      'run/v1',
      '/mnt/shared/run/../v1',
    ]) {
      expect(() => serverPath(directory), directory).toThrow(InvalidInputError);
    }
    expect(() => serverPath('/home/me/v1')).toThrow(
      /"\/home\/me\/v1" is not a directory inside localRoot "\/mnt\/shared\/run".*sees as "\/data\/run"/,
    );
  });

  it('refuses roots that are not absolute POSIX paths', () => {
    expect(() => createServerPathMapping({ localRoot: 'relative' })).toThrow(InvalidConfigError);
    expect(() => createServerPathMapping({ localRoot: '/a', serverRoot: 'C:\\models' })).toThrow(/serverRoot/);
  });
});
