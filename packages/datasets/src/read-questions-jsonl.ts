import type { QaExample } from './qa-example';
import type { ReadOptions } from './read-stats';
import type { RecordStream } from './record-stream';
import { readJsonlWith } from './read-jsonl';
import { extraFields, flashRagQuestionFields, flashRagQuestionSchema } from './schemas';

/**
 * Streams a FlashRAG question set: JSONL with one `{ id, question, golden_answers: string[] }` per line
 * (the layout of `RUC-NLPIR/FlashRAG_datasets`, which ReSearch trains and evaluates on).
 *
 * - `id` may be a string or a number; a number becomes its decimal string.
 * - `question` and every answer must hold a non-space character; `golden_answers` must not be empty.
 * - Any other fields are kept, unchanged, in `metadata` (a FlashRAG `metadata` field lands in `metadata.metadata`).
 *
 * Errors name the file, the line and the field (`golden_answers.1`); see `readJsonl` for the line rules.
 */
export function readQuestionsJsonl(path: string, options: ReadOptions = {}): RecordStream<QaExample> {
  return readJsonlWith(
    path,
    flashRagQuestionSchema,
    (record, raw) => {
      const example: QaExample = { id: record.id, question: record.question, goldenAnswers: record.golden_answers };
      const metadata = extraFields(raw, flashRagQuestionFields);
      if (metadata !== undefined) example.metadata = metadata;
      return example;
    },
    options,
  );
}
