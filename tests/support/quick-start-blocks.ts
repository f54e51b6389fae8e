/** The ```ts blocks of a README (each package README has exactly one: its quick start). */
export function quickStartBlocks(readme: string): string[] {
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}
