export { datasetNameOfFile } from './dataset-name-of-file';
export { loadQuestions, detectQuestionFormat, type LoadedQuestions, type QuestionFileFormat } from './load-questions';
export { formatPassageContents, parsePassageContents } from './passage-contents';
export { PythonRandom } from './python-random';
export { toFlashRagQuestion, type FlashRagQuestion, type QaExample } from './qa-example';
export { readCorpusJsonl } from './read-corpus-jsonl';
export { readJsonl } from './read-jsonl';
export { datasetBaseName, readQuestionArray } from './read-question-array';
export { readQuestionsJsonl } from './read-questions-jsonl';
export type { OnInvalidEntry, ReadOptions, ReadStats } from './read-stats';
export type { RecordStream } from './record-stream';
export { sampleQuestions, type SampleQuestionsOptions } from './sample-questions';
export { writeJsonl, type WriteJsonlResult } from './write-jsonl';
export { createDecoyCorpus, decoyAnswers, type DecoyCorpus } from './world/decoy-corpus';
export { generateWorld } from './world/generate-world';
export type { GenerateWorldOptions, WorldSettings } from './world/world-options';
export {
  defaultIntroTemplates,
  defaultQuestionTemplates,
  defaultRelations,
  relationCatalog,
  type RelationDefinition,
} from './world/world-relations';
export type {
  EntityType,
  RelationName,
  World,
  WorldEntity,
  WorldFact,
  WorldQuestion,
  WorldQuestionMetadata,
} from './world/world-types';
export { worldTexts } from './world/world-texts';
export { worldVocabulary } from './world/world-vocabulary';
export { writeWorld, type WriteWorldResult } from './world/write-world';
