import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { InvalidInputError } from '@research-ts/spec';

/** uPlot's browser build and stylesheet, to be inlined in a report page. */
export interface UplotBundle {
  /** The minified IIFE build: defines the global `uPlot`. */
  script: string;
  style: string;
}

let cached: UplotBundle | undefined;

function readPackageFile(path: string): string {
  const require = createRequire(import.meta.url);
  let file: string;
  try {
    file = require.resolve(path);
  } catch (error) {
    throw new InvalidInputError(
      'the report needs the uplot package (npm install uplot)',
      { source: path },
      { cause: error },
    );
  }
  return readFileSync(file, 'utf8');
}

/**
 * The one door to uPlot (a small charting library with no dependencies): its files are read from the
 * installed `uplot` package when a report is written, and inlined, so the page needs no network. Its banner
 * comment is replaced by its licence notice (the page names no web address). A file that could end the page's `<script>` or `<style>` element early is refused.
 */
export function uplotBundle(): UplotBundle {
  if (cached !== undefined) return cached;
  const { version } = JSON.parse(readPackageFile('uplot/package.json')) as { version: string };
  const copyright = /^Copyright .*$/m.exec(readPackageFile('uplot/LICENSE'))?.[0] ?? '';
  // The build's banner is the project's address; the page names no address, so it is replaced by the notice.
  const script = `/*! uPlot v${version}, MIT License, ${copyright} */\n${readPackageFile('uplot/dist/uPlot.iife.min.js').replace(/^\/\*![^]*?\*\/\s*/, '')}`;
  const style = readPackageFile('uplot/dist/uPlot.min.css');
  if (/<\/script/i.test(script) || /<\/style/i.test(style)) {
    throw new InvalidInputError('the uplot files hold "</script" or "</style" and cannot be inlined', {
      source: 'uplot/dist',
    });
  }
  cached = { script, style };
  return cached;
}
