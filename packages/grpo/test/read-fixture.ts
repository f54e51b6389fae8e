/** Reads a JSON fixture of `src/__fixtures__`. */
export async function readFixture<T>(name: string): Promise<T> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL(`../src/__fixtures__/${name}`, import.meta.url), 'utf8')) as T;
}
