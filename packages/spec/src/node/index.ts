export {
  isTemporarySibling,
  temporarySibling,
  writeFileAtomically,
  writeJsonAtomically,
  type AtomicWriteOptions,
  type FileContents,
} from './atomic-write';
export { writeDirectoryAtomically } from './atomic-directory';
export { readFully, readFullySync, writeFully } from './file-handle-io';
export {
  digestDirectory,
  fileDigest,
  verifyFileDigests,
  writeHashedFile,
  writeHashedFiles,
  type DigestMismatch,
  type DigestOptions,
  type FileDigest,
  type NamedFileDigest,
} from './file-digest';
export { fileReadError, isGzipPath, openByteStream, type ByteStreamOptions } from './byte-stream';
export {
  decodeUtf8Text,
  isBlankLine,
  readTextLines,
  splitTextLines,
  startsWithByteOrderMark,
  type ReadTextLinesOptions,
  type TextLine,
} from './text-lines';
export {
  jsonLineError,
  parseJsonLine,
  readJsonLines,
  splitJsonLines,
  type FailedJsonLine,
  type JsonLine,
  type ParsedJsonLine,
} from './json-lines';
export {
  checkExecutionProvider,
  sessionCreationError,
  type ExecutionProviderCheck,
  type ListedProvider,
} from './execution-provider';
export {
  decodePassageOffset,
  encodePassageOffset,
  PassageFile,
  PassageOffsetTableBuilder,
  passageOffsetBytes,
  type OpenPassageFileOptions,
  type StoredPassage,
} from './passage-offset-table';
