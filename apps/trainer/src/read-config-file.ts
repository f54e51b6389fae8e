import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidConfigError } from '@research-ts/spec';
import { parseDocument } from 'yaml';

const yamlExtensions = new Set(['.yaml', '.yml']);

/** The line and column of a JSON syntax error, from the position V8 reports (`… at position 42`). */
function jsonErrorLocation(text: string, message: string): string {
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return '';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  return ` line ${line}, column ${Number(position) - before.lastIndexOf('\n')}`;
}

function parseYaml(text: string, file: string): unknown {
  const document = parseDocument(text, { prettyErrors: true });
  const [first, ...more] = document.errors;
  if (first !== undefined) {
    const position = first.linePos?.[0];
    const where = position === undefined ? '' : ` line ${position.line}, column ${position.col}`;
    const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InvalidConfigError(
      'config',
      `${file}${where}: is not valid YAML (${message})${more.length > 0 ? ` and ${more.length} more error${more.length === 1 ? '' : 's'}` : ''}`,
      { cause: first },
    );
  }
  return document.toJS();
}

/**
 * Reads a config file: YAML when its name ends in `.yaml` or `.yml`, else JSON; either holds the fields of
 * the train config schema. The one door to the `yaml` package. A file that cannot be read, does not parse
 * (the error names the file, line and column) or does not hold an object is an `InvalidConfigError`.
 */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidConfigError('config', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const isYaml = yamlExtensions.has(extname(file).toLowerCase());
  let parsed: unknown;
  if (isYaml) parsed = parseYaml(text, file);
  else {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      throw new InvalidConfigError(
        'config',
        `${file}${jsonErrorLocation(text, message)}: is not valid JSON (${message})`,
        { cause: error },
      );
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidConfigError(
      'config',
      `${file} must hold ${isYaml ? 'a YAML mapping' : 'a JSON object'} of config fields`,
    );
  }
  return parsed as Record<string, unknown>;
}
