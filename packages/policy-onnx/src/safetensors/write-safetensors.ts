import { InvalidInputError } from '@research-ts/spec';
import type { FileHandle } from 'node:fs/promises';
import { writeFileAtomically, writeFully, type AtomicWriteOptions } from '@research-ts/spec/node';
import { assertLittleEndianHost, encodeFloat32 } from './decode-float-tensor';
import {
  elementCount,
  isFloatDtype,
  isSafetensorsDtype,
  safetensorsDtypeSizes,
  type SafetensorsDtype,
} from './safetensors-dtype';

/**
 * A tensor to write. `data` is either the stored bytes (any typed array whose byte length is dtype
 * size × element count, e.g. the `data` of a tensor just read), or a Float32Array to be encoded as a
 * floating-point `dtype` (`F32`, `F16`, `BF16`, `F64`) while writing.
 */
export interface TensorToWrite {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: ArrayBufferView;
}

export type TensorsToWrite = ReadonlyMap<string, TensorToWrite> | Iterable<readonly [string, TensorToWrite]>;

export interface WriteSafetensorsOptions extends AtomicWriteOptions {
  /** `__metadata__` strings; `format: 'pt'` is added first unless given. `null` writes no `__metadata__`. */
  metadata?: Readonly<Record<string, string>> | null;
}

interface PlannedTensor {
  name: string;
  tensor: TensorToWrite;
  /** Encode float32 values while writing (else the bytes are written as they are). */
  encode: boolean;
  byteLength: number;
}

/** The header bytes (length prefix, JSON padded with spaces to a multiple of 8) and the tensor plan. */
export function planSafetensors(
  tensors: TensorsToWrite,
  metadata: Readonly<Record<string, string>> | null | undefined,
  source: string,
): { header: Uint8Array; planned: PlannedTensor[]; dataLength: number } {
  const planned: PlannedTensor[] = [];
  const seen = new Set<string>();
  const parts: string[] = [];
  if (metadata !== null) {
    const merged: Record<string, string> = { format: 'pt', ...metadata };
    const fields = Object.entries(merged).map(([key, value]) => {
      if (typeof value !== 'string')
        throw new InvalidInputError(`metadata values must be strings, got ${typeof value}`, {
          source,
          field: `__metadata__.${key}`,
        });
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const [name, tensor] of tensors) {
    if (name === '' || name === '__metadata__')
      throw new InvalidInputError('is not a valid tensor name', { source, field: name });
    if (seen.has(name)) throw new InvalidInputError('tensor name given twice', { source, field: name });
    seen.add(name);
    if (!isSafetensorsDtype(tensor.dtype))
      throw new InvalidInputError(`unknown dtype ${JSON.stringify(tensor.dtype)}`, { source, field: `${name}.dtype` });
    if (!tensor.shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0)) {
      throw new InvalidInputError(`must be non-negative integers, got [${tensor.shape.join(', ')}]`, {
        source,
        field: `${name}.shape`,
      });
    }
    const count = elementCount(tensor.shape);
    const byteLength = count * safetensorsDtypeSizes[tensor.dtype];
    const encode = tensor.data instanceof Float32Array && tensor.dtype !== 'F32';
    if (encode) {
      if (!isFloatDtype(tensor.dtype))
        throw new InvalidInputError(`float32 data cannot be written as ${tensor.dtype}`, {
          source,
          field: `${name}.dtype`,
        });
      if ((tensor.data as Float32Array).length !== count) {
        throw new InvalidInputError(
          `has ${(tensor.data as Float32Array).length} values but shape [${tensor.shape.join(', ')}] needs ${count}`,
          { source, field: name },
        );
      }
    } else if (tensor.data.byteLength !== byteLength) {
      throw new InvalidInputError(
        `has ${tensor.data.byteLength} bytes but ${tensor.dtype} × [${tensor.shape.join(', ')}] needs ${byteLength}`,
        { source, field: name },
      );
    }
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + byteLength}]}`,
    );
    planned.push({ name, tensor, encode, byteLength });
    offset += byteLength;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const header = new Uint8Array(8 + padded);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.byteLength);
  return { header, planned, dataLength: offset };
}

const chunkElements = 1 << 22; // encode 4 Mi values at a time

/** Streams the planned tensors to `handle` from `position`; float32 data is encoded chunk by chunk, double-buffered. */
async function writeTensors(handle: FileHandle, planned: PlannedTensor[], position: number): Promise<void> {
  const scratch = [new Uint8Array(chunkElements * 8), new Uint8Array(chunkElements * 8)];
  let pending: Promise<void> = Promise.resolve();
  let turn = 0;
  for (const { tensor, encode, byteLength } of planned) {
    if (!encode) {
      await pending;
      pending = writeFully(handle, new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, byteLength), position);
      position += byteLength;
      continue;
    }
    const values = tensor.data as Float32Array;
    const size = safetensorsDtypeSizes[tensor.dtype];
    for (let start = 0; start < values.length; start += chunkElements) {
      const chunk = values.subarray(start, Math.min(values.length, start + chunkElements));
      const buffer = scratch[turn % 2]!;
      turn += 1;
      const encoded = encodeFloat32(chunk, tensor.dtype as 'F16' | 'BF16' | 'F64', buffer).subarray(
        0,
        chunk.length * size,
      );
      await pending; // the write from two chunks ago used this buffer's twin; the previous one must finish first
      pending = writeFully(handle, encoded, position);
      position += encoded.byteLength;
    }
  }
  await pending;
}

/**
 * Writes a safetensors file atomically (a temporary file in the same folder, renamed into place).
 * Tensors are laid out in the order given; the header is padded with spaces to a multiple of 8 bytes.
 * Writing back what `readSafetensors` returned for a file this function wrote gives identical bytes.
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorsToWrite,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  assertLittleEndianHost();
  const { header, planned } = planSafetensors(tensors, options.metadata, path);
  await writeFileAtomically(
    path,
    async (handle) => {
      await writeFully(handle, header, 0);
      await writeTensors(handle, planned, header.byteLength);
    },
    options,
  );
}

/** The bytes of a safetensors file, in memory (for small tensors and tests). */
export function encodeSafetensors(
  tensors: TensorsToWrite,
  options: Pick<WriteSafetensorsOptions, 'metadata'> = {},
): Uint8Array {
  assertLittleEndianHost();
  const { header, planned, dataLength } = planSafetensors(tensors, options.metadata, 'safetensors buffer');
  const output = new Uint8Array(header.byteLength + dataLength);
  output.set(header);
  let position = header.byteLength;
  for (const { tensor, encode, byteLength } of planned) {
    const target = output.subarray(position, position + byteLength);
    if (encode) {
      // The output may be unaligned for 16/64-bit views: encode into scratch, then copy.
      target.set(encodeFloat32(tensor.data as Float32Array, tensor.dtype as 'F16' | 'BF16' | 'F64'));
    } else target.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, byteLength));
    position += byteLength;
  }
  return output;
}
