import { afterEach } from 'vitest';
import { startFakeCompletionsServer, type FakeCompletionsServer, type FakeServerOptions } from './fake-completions-server';

/**
 * `serve(options)` starts a fake server with `defaults` under `options`; every server a test started is closed after
 * it (registers vitest's `afterEach`, so call it at a test file's top level).
 */
export function serveFakeServers(
  defaults: FakeServerOptions,
): (options?: Partial<FakeServerOptions>) => Promise<FakeCompletionsServer> {
  const servers: FakeCompletionsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (options = {}) => {
    const server = await startFakeCompletionsServer({ ...defaults, ...options });
    servers.push(server);
    return server;
  };
}
