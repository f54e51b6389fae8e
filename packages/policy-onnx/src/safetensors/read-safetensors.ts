import { InvalidInputError } from '@research-ts/spec';
import { open, type FileHandle } from 'node:fs/promises';
import { readFully } from '@research-ts/spec/node';
import { bfloat16ToFloat32 } from '../model/bfloat16';
import { assertLittleEndianHost, decodeFloat32 } from './decode-float-tensor';
import { float16ToFloat32 } from '../model/float16';
import { elementCount, type SafetensorsDtype } from './safetensors-dtype';
import { checkHeaderLength, parseSafetensorsHeader, type SafetensorsEntry } from './safetensors-header';

/** A tensor as stored: dtype, shape and its little-endian bytes (dtype size × element count of them). */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

/**
 * An open safetensors file whose header has been read and checked; tensors are read one at a time,
 * on demand, each into its own buffer (a large file is never read into one buffer).
 */
export interface SafetensorsFile {
  /** The path (or the name given for an in-memory file); errors name it. */
  readonly source: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Every tensor's header entry, in data-section order. */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  /** The stored bytes of tensor `name`. For an in-memory file this is a view of the input. */
  readTensor(name: string): Promise<SafetensorsTensor>;
  /**
   * Tensor `name` as float32 (from F32, F16, BF16 or F64), into `output` when given (it must hold
   * exactly the tensor's element count; reusing buffers avoids the cost of touching fresh memory).
   */
  readFloat32(name: string, output?: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface OpenSafetensorsOptions {
  /** Name for error messages when reading from memory. Default `'safetensors buffer'`. */
  source?: string;
}

/** Opens a safetensors file (a path) or an in-memory one (bytes), checking its header strictly. */
export async function openSafetensors(
  input: string | Uint8Array,
  options: OpenSafetensorsOptions = {},
): Promise<SafetensorsFile> {
  assertLittleEndianHost();
  if (typeof input !== 'string') return openInMemory(input, options.source ?? 'safetensors buffer');
  const source = input;
  let handle: FileHandle;
  try {
    handle = await open(source, 'r');
  } catch (error) {
    throw new InvalidInputError(`cannot open: ${(error as Error).message}`, { source }, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new InvalidInputError('is not a regular file', { source });
    const { size } = stats;
    const prefix = new Uint8Array(8);
    const prefixRead = await readFully(handle, prefix, 0);
    const headerLength = checkHeaderLength(prefix.subarray(0, prefixRead), size, source);
    const headerBytes = new Uint8Array(headerLength);
    const headerRead = await readFully(handle, headerBytes, 8);
    if (headerRead !== headerLength)
      throw new InvalidInputError(`file ended inside the header (changed while reading?)`, { source });
    const header = parseSafetensorsHeader(headerBytes, size - 8 - headerLength, source);
    return new FileBackedSafetensors(source, handle, header.metadata, header.entries, header.dataStart);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function openInMemory(bytes: Uint8Array, source: string): SafetensorsFile {
  const headerLength = checkHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source);
  const header = parseSafetensorsHeader(
    bytes.subarray(8, 8 + headerLength),
    bytes.byteLength - 8 - headerLength,
    source,
  );
  const entries = new Map(header.entries.map((entry) => [entry.name, entry]));
  const readTensor = async (name: string): Promise<SafetensorsTensor> => {
    const entry = findEntry(entries, name, source);
    const [begin, end] = entry.dataOffsets;
    return {
      dtype: entry.dtype,
      shape: [...entry.shape],
      data: bytes.subarray(header.dataStart + begin, header.dataStart + end),
    };
  };
  return {
    source,
    metadata: header.metadata,
    entries,
    readTensor,
    async readFloat32(name, output) {
      const tensor = await readTensor(name);
      checkOutput(entries.get(name)!, output, source);
      const values = decodeFloat32(tensor.dtype, tensor.data, { source, field: name });
      if (output === undefined) return values;
      output.set(values);
      return output;
    },
    async close() {},
  };
}

function checkOutput(entry: SafetensorsEntry, output: Float32Array | undefined, source: string): void {
  if (output === undefined) return;
  const count = elementCount(entry.shape);
  if (output.length !== count) {
    throw new InvalidInputError(`the output array holds ${output.length} values but the tensor has ${count}`, {
      source,
      field: entry.name,
    });
  }
}

function findEntry(entries: ReadonlyMap<string, SafetensorsEntry>, name: string, source: string): SafetensorsEntry {
  const entry = entries.get(name);
  if (entry === undefined) throw new InvalidInputError('no such tensor in the file', { source, field: name });
  return entry;
}

class FileBackedSafetensors implements SafetensorsFile {
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;

  constructor(
    readonly source: string,
    private readonly handle: FileHandle,
    readonly metadata: Record<string, string>,
    entries: SafetensorsEntry[],
    private readonly dataStart: number,
  ) {
    this.entries = new Map(entries.map((entry) => [entry.name, entry]));
  }

  private async readInto(entry: SafetensorsEntry, into: Uint8Array): Promise<void> {
    const read = await readFully(this.handle, into, this.dataStart + entry.dataOffsets[0]);
    if (read !== into.byteLength) {
      throw new InvalidInputError(
        `file ended after ${read} of the tensor's ${into.byteLength} bytes (changed while reading?)`,
        {
          source: this.source,
          field: entry.name,
        },
      );
    }
  }

  async readTensor(name: string): Promise<SafetensorsTensor> {
    const entry = findEntry(this.entries, name, this.source);
    const data = new Uint8Array(entry.dataOffsets[1] - entry.dataOffsets[0]);
    await this.readInto(entry, data);
    return { dtype: entry.dtype, shape: [...entry.shape], data };
  }

  async readFloat32(name: string, output?: Float32Array): Promise<Float32Array> {
    const entry = findEntry(this.entries, name, this.source);
    checkOutput(entry, output, this.source);
    const byteLength = entry.dataOffsets[1] - entry.dataOffsets[0];
    if (entry.dtype === 'F32') {
      const target = output ?? new Float32Array(byteLength / 4);
      await this.readInto(entry, new Uint8Array(target.buffer, target.byteOffset, byteLength));
      return target;
    }
    if (entry.dtype === 'F16' || entry.dtype === 'BF16') {
      // Read the 16-bit values into the upper half of the output and widen them in place, front to
      // back: writing element i (bytes 4i..4i+3) never reaches a value not yet read (bytes ≥ 2n+2i+2).
      const count = byteLength / 2;
      const target = output ?? new Float32Array(count);
      const upperHalf = target.byteOffset + byteLength;
      await this.readInto(entry, new Uint8Array(target.buffer, upperHalf, byteLength));
      const stored = new Uint16Array(target.buffer, upperHalf, count);
      if (entry.dtype === 'BF16') bfloat16ToFloat32(stored, target);
      else float16ToFloat32(stored, target);
      return target;
    }
    const tensor = await this.readTensor(name);
    const values = decodeFloat32(tensor.dtype, tensor.data, { source: this.source, field: name });
    if (output === undefined) return values;
    output.set(values);
    return output;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** All tensors and the metadata of a safetensors file (or bytes), each tensor read separately. */
export async function readSafetensors(
  input: string | Uint8Array,
  options: OpenSafetensorsOptions = {},
): Promise<{ metadata: Record<string, string>; tensors: Map<string, SafetensorsTensor> }> {
  const file = await openSafetensors(input, options);
  try {
    const tensors = new Map<string, SafetensorsTensor>();
    for (const name of file.entries.keys()) tensors.set(name, await file.readTensor(name));
    return { metadata: { ...file.metadata }, tensors };
  } finally {
    await file.close();
  }
}
