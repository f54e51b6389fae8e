import { createHash } from 'node:crypto';
import type { Passage } from '@research-ts/spec';
import { z } from 'zod';
import { expected } from './zod-messages';

/**
 * A document as retrieval servers send it. FlashRAG sends `{id, contents}`; Search-R1's dense
 * retriever sends the raw corpus row (`{id, contents}` for wiki-18) and its BM25 retriever
 * `{title, text, contents}` (no id). Other fields are kept and ignored.
 */
export const wireDocumentSchema = z
  .looseObject(
    {
      id: z.union([z.string(), z.number()], expected('a string or number')).optional(),
      contents: z.string(expected('a string')).optional(),
      title: z.string(expected('a string')).optional(),
      text: z.string(expected('a string')).optional(),
    },
    expected('a document object'),
  )
  .superRefine((document, context) => {
    if (document.contents === undefined && document.text === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['contents'],
        message: 'is required (a document needs "contents", or "title" and "text")',
      });
    }
  });

export type WireDocument = z.infer<typeof wireDocumentSchema>;

/**
 * Maps a wire document to a spec `Passage`.
 * - `contents` is used as is when present;
 * - otherwise `title` and `text` are joined in the FlashRAG/DPR layout `"Title"\ntext` (just `text` without a title);
 * - a numeric `id` becomes its decimal string; a missing `id` becomes `sha256:` and the first 16 hex digits of
 *   the SHA-256 of the contents, so that the same passage gets the same id in every response.
 */
export function wireDocumentToPassage(document: WireDocument, score: number | null | undefined): Passage {
  const contents =
    document.contents ??
    (document.title !== undefined ? `"${document.title}"\n${document.text ?? ''}` : (document.text ?? ''));
  const id =
    document.id !== undefined
      ? String(document.id)
      : `sha256:${createHash('sha256').update(contents).digest('hex').slice(0, 16)}`;
  const passage: Passage = { id, contents };
  if (typeof score === 'number') passage.score = score;
  return passage;
}
