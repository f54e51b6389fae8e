/**
 * One retrieved passage. `contents` follows the FlashRAG / DPR layout `"Title"\ntext`
 * (the title in double quotes, a newline, then the text), which is what ReSearch inserts verbatim.
 */
export interface Passage {
  id: string;
  contents: string;
  /** Retriever score; higher is better. Absent when the backend does not report one. */
  score?: number;
}

/** Splits FlashRAG `contents` into title and text; a passage with no quoted title line has title ''. */
export function splitPassageContents(contents: string): { title: string; text: string } {
  const newline = contents.indexOf('\n');
  if (newline < 0) return { title: '', text: contents };
  const head = contents.slice(0, newline);
  const title = head.length >= 2 && head.startsWith('"') && head.endsWith('"') ? head.slice(1, -1) : head;
  return { title, text: contents.slice(newline + 1) };
}
