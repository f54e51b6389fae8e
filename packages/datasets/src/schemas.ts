import { z } from 'zod';
import { expectedType } from './describe-value';

const notBlank = (text: string): boolean => text.trim() !== '';

/** A record id: a non-empty string, or a finite number normalized to its decimal string (`7` → `'7'`). */
export const recordIdSchema = z
  .union([z.string(), z.number()], { error: expectedType('a string or a number') })
  .transform((id) => String(id))
  .refine(notBlank, { message: 'must not be empty' });

/** A question: a string with at least one non-space character. */
export const questionTextSchema = z
  .string({ error: expectedType('a string') })
  .refine(notBlank, { message: 'must not be empty' });

/** One accepted answer: a string with at least one non-space character (an empty gold would match an empty prediction). */
export const answerTextSchema = z
  .string({ error: expectedType('a string') })
  .refine(notBlank, { message: 'must not be empty' });

/** FlashRAG golden answers: a non-empty list of answers. */
export const goldenAnswersSchema = z
  .array(answerTextSchema, { error: expectedType('an array of strings') })
  .min(1, { message: 'must list at least one answer' });

/**
 * The fields of a raw JSON record other than `known`, as own properties, or undefined when there are none.
 * Read from the `JSON.parse` output (not zod's), so that even a `__proto__` key is kept as data.
 */
export function extraFields(raw: unknown, known: readonly string[]): Record<string, unknown> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const extra = Object.entries(raw).filter(([key]) => !known.includes(key));
  return extra.length === 0 ? undefined : Object.fromEntries(extra);
}

/** The fields of a FlashRAG JSONL question `{ id, question, golden_answers, ... }` that are checked. */
export const flashRagQuestionFields = ['id', 'question', 'golden_answers'] as const;

/** A FlashRAG JSONL question; other fields are read separately with `extraFields`. */
export const flashRagQuestionSchema = z.object(
  { id: recordIdSchema, question: questionTextSchema, golden_answers: goldenAnswersSchema },
  { error: expectedType('an object') },
);

/** The fields of a `{question, answer}` array element that are checked. */
export const questionAnswerFields = ['question', 'answer'] as const;

/** An element of a `{question, answer}` array; other fields are read separately with `extraFields`. */
export const questionAnswerSchema = z.object(
  { question: questionTextSchema, answer: answerTextSchema },
  { error: expectedType('an object') },
);

/** A corpus passage `{ id, contents }` in the FlashRAG / DPR layout; other fields are dropped. */
export const passageSchema = z.object(
  { id: recordIdSchema, contents: z.string({ error: expectedType('a string') }) },
  { error: expectedType('an object') },
);
