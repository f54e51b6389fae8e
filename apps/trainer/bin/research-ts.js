#!/usr/bin/env node
// The `research-ts` command. An installed package runs its build (dist/cli.js). Inside the repository the
// build may not exist (`npm ci` builds nothing), so the command runs the TypeScript sources through tsx with
// the `@research-ts/source` condition, as `npm run cli` does; `npm run build` is never needed for `npx research-ts`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=@research-ts/source', '--import', import.meta.resolve('tsx'), source, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  // Ctrl-C reaches both processes from the terminal: this one waits for the program to stop on its own.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
