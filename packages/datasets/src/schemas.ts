import { z } from 'zod';
import { expectedType } from './describe-value';
import type { QaExample } from './qa-example';

const notBlank = (text: string): boolean => text.trim() !== '';

/** A record id: a non-empty string, or a finite number normalized to its decimal string (`7` → `'7'`). */
export const recordIdSchema = z
  .union([z.string(), z.number()], { error: expectedType('a string or a number') })
  .transform((id) => String(id))
  .refine(notBlank, { message: 'must not be empty' });

/** A question: a string with at least one non-space character. */
export const questionTextSchema = z.string({ error: expectedType('a string') }).refine(notBlank, { message: 'must not be empty' });

/** One accepted answer: a string with at least one non-space character (an empty gold would match an empty prediction). */
export const answerTextSchema = z.string({ error: expectedType('a string') }).refine(notBlank, { message: 'must not be empty' });

/** FlashRAG golden answers: a non-empty list of answers. */
export const goldenAnswersSchema = z
  .array(answerTextSchema, { error: expectedType('an array of strings') })
  .min(1, { message: 'must list at least one answer' });

function splitMetadata(record: Record<string, unknown>, known: readonly string[]): Record<string, unknown> | undefined {
  let metadata: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(record)) {
    if (known.includes(key)) continue;
    metadata ??= {};
    metadata[key] = value;
  }
  return metadata;
}

/** A FlashRAG JSONL question `{ id, question, golden_answers, ... }`, turned into a `QaExample`. */
export const flashRagQuestionSchema = z
  .looseObject(
    { id: recordIdSchema, question: questionTextSchema, golden_answers: goldenAnswersSchema },
    { error: expectedType('an object') },
  )
  .transform((record): QaExample => {
    const metadata = splitMetadata(record, ['id', 'question', 'golden_answers']);
    const example: QaExample = { id: record.id, question: record.question, goldenAnswers: record.golden_answers };
    if (metadata !== undefined) example.metadata = metadata;
    return example;
  });

/** An element of a `{question, answer}` array. */
export const questionAnswerSchema = z.looseObject(
  { question: questionTextSchema, answer: answerTextSchema },
  { error: expectedType('an object') },
);

/** A corpus passage `{ id, contents }` in the FlashRAG / DPR layout; other fields are dropped. */
export const passageSchema = z.object(
  { id: recordIdSchema, contents: z.string({ error: expectedType('a string') }) },
  { error: expectedType('an object') },
);
