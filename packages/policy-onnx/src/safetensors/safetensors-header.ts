import { InvalidInputError } from '@research-ts/spec';
import { findDuplicateJsonKey } from './find-duplicate-json-key';
import { elementCount, isSafetensorsDtype, safetensorsDtypeSizes, type SafetensorsDtype } from './safetensors-dtype';

/** The largest header the reader accepts (the limit of the reference implementation). */
export const maximumHeaderBytes = 100_000_000;

/** One tensor as the header describes it; offsets are relative to the start of the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** `[begin, end)` in bytes from the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
  /** The tensors in the order of their bytes in the data section. */
  entries: SafetensorsEntry[];
  /** Byte offset of the data section in the file: 8 + header length. */
  dataStart: number;
}

/**
 * Validates the 8-byte little-endian header length against the file size, before anything is
 * allocated for the header. Returns the header length in bytes.
 */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new InvalidInputError(
      `file is ${fileSize} bytes, shorter than the 8-byte header length prefix (truncated or not a safetensors file)`,
      { source },
    );
  }
  const declared = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(maximumHeaderBytes)) {
    throw new InvalidInputError(
      `declared header length ${declared} bytes exceeds the ${maximumHeaderBytes}-byte limit (corrupt or not a safetensors file)`,
      { source },
    );
  }
  const headerLength = Number(declared);
  if (headerLength > fileSize - 8) {
    throw new InvalidInputError(
      `declared header length ${headerLength} bytes is larger than the ${fileSize - 8} bytes after the length prefix (truncated file?)`,
      { source },
    );
  }
  if (headerLength < 2)
    throw new InvalidInputError(`declared header length ${headerLength} bytes is too short for a JSON object`, {
      source,
    });
  return headerLength;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and checks a safetensors header: JSON object of tensor entries plus an optional
 * `__metadata__`; known dtypes; shapes of non-negative integers; `data_offsets` whose length equals
 * dtype size × element count, inside the data section, and tiling it exactly (no overlap, no gap, no
 * trailing bytes), as the format requires.
 *
 * @param headerBytes the header (the bytes after the 8-byte length prefix)
 * @param dataLength bytes in the file after the header
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = decoder.decode(headerBytes);
  } catch (error) {
    throw new InvalidInputError('header is not valid UTF-8', { source }, { cause: error });
  }
  if (!text.startsWith('{'))
    throw new InvalidInputError(`header does not start with "{" (found ${JSON.stringify(text.slice(0, 16))})`, {
      source,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`header is not valid JSON: ${(error as Error).message}`, { source }, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('header is not a JSON object', { source });
  }
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate !== undefined) {
    const what =
      duplicate.length === 1
        ? `tensor "${duplicate[0]}"`
        : `key "${duplicate.at(-1)}" of ${duplicate.slice(0, -1).join('.')}`;
    throw new InvalidInputError(`${what} appears more than once in the header`, { source, field: duplicate.join('.') });
  }

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new InvalidInputError('must be an object of strings', { source, field: '__metadata__' });
      }
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== 'string')
          throw new InvalidInputError(`must be a string, got ${JSON.stringify(item)}`, {
            source,
            field: `__metadata__.${key}`,
          });
        metadata[key] = item;
      }
      continue;
    }
    entries.push(parseEntry(name, value, dataLength, source));
  }

  entries.sort(
    (first, second) => first.dataOffsets[0] - second.dataOffsets[0] || first.dataOffsets[1] - second.dataOffsets[1],
  );
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of entries) {
    const [begin, end] = entry.dataOffsets;
    if (begin < covered && previous !== undefined) {
      throw new InvalidInputError(
        `bytes [${begin}, ${end}) overlap tensor "${previous.name}" at [${previous.dataOffsets[0]}, ${previous.dataOffsets[1]})`,
        { source, field: `${entry.name}.data_offsets` },
      );
    }
    if (begin > covered) {
      throw new InvalidInputError(`data section bytes [${covered}, ${begin}) before this tensor belong to no tensor`, {
        source,
        field: `${entry.name}.data_offsets`,
      });
    }
    covered = end;
    previous = entry;
  }
  if (covered !== dataLength) {
    throw new InvalidInputError(
      `the data section has ${dataLength - covered} bytes after the last tensor that belong to no tensor`,
      { source },
    );
  }
  return { metadata, entries, dataStart: 8 + headerBytes.byteLength };
}

function parseEntry(name: string, value: unknown, dataLength: number, source: string): SafetensorsEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError('expected an object with dtype, shape and data_offsets', { source, field: name });
  }
  const record = value as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = record;
  if (!isSafetensorsDtype(dtype)) {
    throw new InvalidInputError(
      `unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(safetensorsDtypeSizes).join(', ')})`,
      {
        source,
        field: `${name}.dtype`,
      },
    );
  }
  if (!Array.isArray(shape) || !shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0)) {
    throw new InvalidInputError(`must be an array of non-negative integers, got ${JSON.stringify(shape)}`, {
      source,
      field: `${name}.shape`,
    });
  }
  const dimensions = shape as number[];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw new InvalidInputError(`must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`, {
      source,
      field: `${name}.data_offsets`,
    });
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw new InvalidInputError(
      `ends at byte ${end} but the data section has only ${dataLength} bytes (truncated file?)`,
      {
        source,
        field: `${name}.data_offsets`,
      },
    );
  }
  // Multiply with an early exit, so that absurd shapes cannot overflow into a plausible size.
  const held = end - begin;
  const needs = `${dtype} × [${dimensions.join(', ')}] needs`;
  let byteCount = dimensions.includes(0) ? 0 : safetensorsDtypeSizes[dtype];
  for (const dimension of dimensions) {
    byteCount *= dimension;
    if (byteCount > held) {
      const exact = Number.isSafeInteger(elementCount(dimensions) * safetensorsDtypeSizes[dtype]);
      throw new InvalidInputError(
        `[${begin}, ${end}) holds ${held} bytes but ${needs} ${exact ? elementCount(dimensions) * safetensorsDtypeSizes[dtype] : 'more than 2^53'}`,
        { source, field: `${name}.data_offsets` },
      );
    }
  }
  if (byteCount !== held) {
    throw new InvalidInputError(`[${begin}, ${end}) holds ${held} bytes but ${needs} ${byteCount}`, {
      source,
      field: `${name}.data_offsets`,
    });
  }
  return { name, dtype, shape: dimensions, dataOffsets: [begin, end] };
}
