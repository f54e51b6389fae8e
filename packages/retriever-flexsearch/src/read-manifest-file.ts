import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '@research-ts/spec';
import { manifestFileName } from './index-manifest';

/** The parsed JSON of a saved index's `manifest.json`; a missing or unparsable one is an error naming it. */
export async function readManifestFile(manifestPath: string): Promise<unknown> {
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `no readable ${manifestFileName}: not a saved index, or saving did not finish (${(error as Error).message})`,
      { source: manifestPath },
      { cause: error },
    );
  }
  try {
    return JSON.parse(manifestText) as unknown;
  } catch (error) {
    throw new InvalidInputError(
      `not valid JSON, the manifest is truncated or corrupt (${(error as Error).message})`,
      { source: manifestPath },
      { cause: error },
    );
  }
}
