import { InvalidInputError } from '@research-ts/spec';
import { readFile } from 'node:fs/promises';

/** Reads and parses a JSON file; errors name the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read: ${(error as Error).message}`, { source: path }, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`not valid JSON: ${(error as Error).message}`, { source: path }, { cause: error });
  }
}
