import { splitPassageContents } from '@research-ts/spec';

/** Title and text of a FlashRAG / DPR passage, `"Title"\ntext` (spec's `splitPassageContents`). */
export function parsePassageContents(contents: string): { title: string; text: string } {
  return splitPassageContents(contents);
}

/** Builds FlashRAG / DPR `contents` from a title and a text: `'"' + title + '"\n' + text`. */
export function formatPassageContents(title: string, text: string): string {
  return `"${title}"\n${text}`;
}
