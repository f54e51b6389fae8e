import { InvalidInputError } from '@research-ts/spec';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32ToBfloat16 } from '../model/bfloat16';
import { float32ToFloat16 } from '../model/float16';
import { openSafetensors, readSafetensors, type SafetensorsTensor } from './read-safetensors';
import { encodeSafetensors, writeSafetensors, type TensorToWrite } from './write-safetensors';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'policy-onnx-safetensors-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const fixture = join(import.meta.dirname, '..', '__fixtures__', 'python-written.safetensors');

function randomBytes(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < count; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** Random float32 values with assorted magnitudes (no NaN, so values compare with toEqual). */
function randomFloats(count: number, seed: number): Float32Array {
  const bits = new Uint32Array(randomBytes(count * 4, seed).buffer);
  for (let index = 0; index < bits.length; index++) {
    if ((bits[index]! & 0x7f800000) === 0x7f800000) bits[index] = bits[index]! & 0xbfffffff;
  }
  return new Float32Array(bits.buffer);
}

/** A safetensors file from a header given as text or object, with an optional lying length prefix. */
function rawFile(header: string | object, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const output = new Uint8Array(8 + text.byteLength + data.byteLength);
  new DataView(output.buffer).setBigUint64(0, declaredLength ?? BigInt(text.byteLength), true);
  output.set(text, 8);
  output.set(data, 8 + text.byteLength);
  return output;
}

async function failure(input: Uint8Array, name = 'bad.safetensors'): Promise<InvalidInputError> {
  const path = join(directory, name);
  await writeFile(path, input);
  const fromFile = await readSafetensors(path).then(
    () => undefined,
    (error: unknown) => error,
  );
  const fromMemory = await readSafetensors(input, { source: path }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(fromFile).toBeInstanceOf(InvalidInputError);
  expect((fromMemory as Error).message, 'file and memory readers agree').toBe((fromFile as Error).message);
  return fromFile as InvalidInputError;
}

describe('safetensors round trips', () => {
  const tensors = new Map<string, TensorToWrite>([
    ['f32', { dtype: 'F32', shape: [7, 5], data: randomFloats(35, 1) }],
    ['f16', { dtype: 'F16', shape: [3, 11], data: float32ToFloat16(randomFloats(33, 2)) }],
    ['bf16', { dtype: 'BF16', shape: [13], data: float32ToBfloat16(randomFloats(13, 3)) }],
    ['i64', { dtype: 'I64', shape: [2, 2], data: randomBytes(32, 4) }],
    ['u8', { dtype: 'U8', shape: [3], data: randomBytes(3, 5) }],
    ['bool', { dtype: 'BOOL', shape: [1, 1, 2], data: new Uint8Array([1, 0]) }],
    ['i32', { dtype: 'I32', shape: [], data: new Int32Array([-7]) }],
    ['f64', { dtype: 'F64', shape: [3], data: new Float64Array([0.1, -1e300, 5e-324]) }],
    ['empty', { dtype: 'F32', shape: [4, 0], data: new Float32Array(0) }],
  ]);

  it('keeps every tensor bit-exact through write and read (file and memory)', async () => {
    const path = join(directory, 'round-trip.safetensors');
    await writeSafetensors(path, tensors);
    const fromFile = await readSafetensors(path);
    const fromMemory = await readSafetensors(await readFile(path));
    for (const read of [fromFile, fromMemory]) {
      expect(read.metadata).toEqual({ format: 'pt' });
      expect([...read.tensors.keys()]).toEqual([...tensors.keys()]);
      for (const [name, written] of tensors) {
        const tensor = read.tensors.get(name)!;
        expect(tensor.dtype).toBe(written.dtype);
        expect(tensor.shape).toEqual(written.shape);
        expect(
          Buffer.from(tensor.data).equals(
            Buffer.from(written.data.buffer, written.data.byteOffset, written.data.byteLength),
          ),
          name,
        ).toBe(true);
      }
    }
    expect(Buffer.from(encodeSafetensors(tensors)).equals(await readFile(path))).toBe(true);
  });

  it('writes back the identical file from what it read', async () => {
    const path = join(directory, 'original.safetensors');
    await writeSafetensors(path, tensors, { metadata: { step: '12', note: 'ünïcode' } });
    const read = await readSafetensors(path);
    expect(read.metadata).toEqual({ format: 'pt', step: '12', note: 'ünïcode' });
    const again = join(directory, 'again.safetensors');
    await writeSafetensors(again, read.tensors, { metadata: read.metadata });
    expect((await readFile(again)).equals(await readFile(path))).toBe(true);
  });

  it('encodes float32 data as F16/BF16/F64 while writing, rounding to nearest even', async () => {
    const values = new Float32Array([1, 1 + 2 ** -8, 1 + 2 ** -11, -65504, 0.1, 1e-8]);
    const path = join(directory, 'encoded.safetensors');
    await writeSafetensors(path, [
      ['as-bf16', { dtype: 'BF16', shape: [6], data: values }],
      ['as-f16', { dtype: 'F16', shape: [2, 3], data: values }],
      ['as-f64', { dtype: 'F64', shape: [6], data: values }],
      ['as-f32', { dtype: 'F32', shape: [6], data: values }],
    ]);
    const file = await openSafetensors(path);
    try {
      const raw = async (name: string) =>
        Array.from(new Uint16Array((await file.readTensor(name)).data.slice().buffer));
      expect(await raw('as-bf16')).toEqual(Array.from(float32ToBfloat16(values)));
      expect(await raw('as-f16')).toEqual(Array.from(float32ToFloat16(values)));
      expect(Array.from(await file.readFloat32('as-bf16'))).toEqual([
        1,
        1,
        1,
        -65536,
        (205 / 128) * 2 ** -4,
        (172 / 128) * 2 ** -27,
      ]);
      expect(Array.from(await file.readFloat32('as-f16'))).toEqual([1, 1 + 2 ** -8, 1, -65504, 0.0999755859375, 0]);
      expect(await file.readFloat32('as-f64')).toEqual(values);
      expect(await file.readFloat32('as-f32')).toEqual(values);
      await expect(file.readFloat32('missing')).rejects.toThrow(`${path}, field "missing": no such tensor in the file`);
    } finally {
      await file.close();
    }
  });

  it('reads large F16/BF16 tensors as float32 equal to converting the stored bits', async () => {
    const values = randomFloats(300_001, 9);
    const path = join(directory, 'large.safetensors');
    await writeSafetensors(path, [
      ['b', { dtype: 'BF16', shape: [300_001], data: values }],
      ['h', { dtype: 'F16', shape: [300_001], data: values }],
    ]);
    const file = await openSafetensors(path);
    const memory = await openSafetensors(await readFile(path));
    try {
      for (const name of ['b', 'h']) {
        const fromFile = await file.readFloat32(name);
        const bytesOf = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
        expect(bytesOf(fromFile).equals(bytesOf(await memory.readFloat32(name)))).toBe(true);
        const rounded = name === 'b' ? float32ToBfloat16(values) : float32ToFloat16(values);
        const stored = (await file.readTensor(name)).data;
        expect(bytesOf(stored).equals(bytesOf(rounded))).toBe(true);
        // Spot checks against the scalar rule: bfloat16 widening is a 16-bit shift.
        if (name === 'b') expect(new Uint32Array(fromFile.buffer)[12345]).toBe(rounded[12345]! * 0x10000);
      }
    } finally {
      await file.close();
      await memory.close();
    }
  });

  it('reads into a caller-provided array (any offset in a larger buffer), touching nothing around it', async () => {
    const values = randomFloats(1001, 11);
    const path = join(directory, 'into.safetensors');
    await writeSafetensors(path, [
      ['f32', { dtype: 'F32', shape: [1001], data: values }],
      ['bf16', { dtype: 'BF16', shape: [7, 143], data: values }],
      ['f16', { dtype: 'F16', shape: [1001], data: values }],
      ['f64', { dtype: 'F64', shape: [1001], data: values }],
    ]);
    for (const file of [await openSafetensors(path), await openSafetensors(await readFile(path))]) {
      for (const name of ['f32', 'bf16', 'f16', 'f64']) {
        const backing = new Float32Array(1001 + 6).fill(-7);
        const output = backing.subarray(3, 1004);
        expect(await file.readFloat32(name, output)).toBe(output);
        expect(output).toEqual(await file.readFloat32(name));
        expect([...backing.subarray(0, 3), ...backing.subarray(1004)]).toEqual([-7, -7, -7, -7, -7, -7]);
      }
      await expect(file.readFloat32('f32', new Float32Array(1000))).rejects.toThrow(
        'field "f32": the output array holds 1000 values but the tensor has 1001',
      );
      await file.close();
    }
  });

  it('reads a file written by an independent Python writer (tools/write-safetensors-fixture.py)', async () => {
    const { metadata, tensors: read } = await readSafetensors(fixture);
    expect(metadata).toEqual({ format: 'pt', writer: 'python struct' });
    expect([...read.keys()]).toEqual([
      'position_ids',
      'scale',
      'empty',
      'model.embed_tokens.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.norm.weight',
      'attention_mask',
    ]);
    const file = await openSafetensors(fixture);
    try {
      expect(Array.from(await file.readFloat32('model.embed_tokens.weight'))).toEqual(
        Array.from({ length: 12 }, (_, index) => index * 0.25 - 1),
      );
      expect(Array.from(await file.readFloat32('model.norm.weight'))).toEqual([1, -0.5, 65504, 2 ** -24]);
      expect(Array.from(await file.readFloat32('model.layers.0.mlp.up_proj.weight'))).toEqual([
        1, -2, 0.5, 3, -0.125, 256,
      ]);
      expect(Array.from(await file.readFloat32('scale'))).toEqual([Math.fround(0.1)]);
      expect((await file.readFloat32('empty')).length).toBe(0);
      const positions = await file.readTensor('position_ids');
      expect(Array.from(new BigInt64Array(positions.data.slice().buffer))).toEqual([
        0n,
        1n,
        -2n,
        2n ** 40n,
        -(2n ** 62n),
      ]);
      expect((await file.readTensor('attention_mask')).shape).toEqual([2, 2]);
      await expect(file.readFloat32('attention_mask')).rejects.toThrow(
        `python-written.safetensors, field "attention_mask": dtype BOOL is not a floating-point type (expected F32, F16, BF16 or F64)`,
      );
    } finally {
      await file.close();
    }
    // Our writer lays it out the same way, byte for byte.
    const rewritten = join(directory, 'python-rewritten.safetensors');
    await writeSafetensors(rewritten, read, { metadata });
    expect((await readFile(rewritten)).equals(await readFile(fixture))).toBe(true);
  });
});

describe('safetensors writer checks', () => {
  it('rejects data of the wrong size, float32 data for an integer dtype, repeated and reserved names', async () => {
    const path = join(directory, 'never.safetensors');
    await expect(
      writeSafetensors(path, [['w', { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }]]),
    ).rejects.toThrow(`${path}, field "w": has 20 bytes but F32 × [2, 3] needs 24`);
    await expect(
      writeSafetensors(path, [['w', { dtype: 'BF16', shape: [4], data: new Float32Array(3) }]]),
    ).rejects.toThrow('field "w": has 3 values but shape [4] needs 4');
    await expect(
      writeSafetensors(path, [['w', { dtype: 'I32', shape: [1], data: new Float32Array(1) }]]),
    ).rejects.toThrow('field "w.dtype": float32 data cannot be written as I32');
    const one: TensorToWrite = { dtype: 'U8', shape: [1], data: new Uint8Array(1) };
    await expect(
      writeSafetensors(path, [
        ['w', one],
        ['w', one],
      ]),
    ).rejects.toThrow('field "w": tensor name given twice');
    await expect(writeSafetensors(path, [['__metadata__', one]])).rejects.toThrow(
      'field "__metadata__": is not a valid tensor name',
    );
    await expect(writeSafetensors(path, [['w', { ...one, shape: [-1] }]])).rejects.toThrow(
      'field "w.shape": must be non-negative integers, got [-1]',
    );
    expect((await readdir(directory)).filter((name) => name.includes('never'))).toEqual([]);
  });

  it('pads the header with spaces to a multiple of 8 and writes __metadata__ first', () => {
    const bytes = encodeSafetensors([['a', { dtype: 'U8', shape: [1], data: new Uint8Array([9]) }]]);
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(length % 8).toBe(0);
    expect(text.trimEnd()).toBe('{"__metadata__":{"format":"pt"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ {0,7}$/);
    expect(bytes.at(-1)).toBe(9);
    const bare = encodeSafetensors([], { metadata: null });
    expect(new TextDecoder().decode(bare.subarray(8))).toBe('{}      ');
  });
});

describe('safetensors reader rejects malformed files with a clear error', () => {
  const goodTensors: Array<[string, TensorToWrite]> = [
    ['first', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
    ['second', { dtype: 'BF16', shape: [3], data: new Uint16Array([1, 2, 3]) }],
  ];
  const good = encodeSafetensors(goodTensors);
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
  const twoFloats = new Uint8Array(8);

  it('a file truncated anywhere', async () => {
    const cuts: Array<[number, string]> = [
      [0, 'file is 0 bytes, shorter than the 8-byte header length prefix (truncated or not a safetensors file)'],
      [5, 'file is 5 bytes, shorter than the 8-byte header length prefix'],
      [
        8,
        `declared header length ${headerLength} bytes is larger than the 0 bytes after the length prefix (truncated file?)`,
      ],
      [
        8 + headerLength - 3,
        `declared header length ${headerLength} bytes is larger than the ${headerLength - 3} bytes after the length prefix`,
      ],
      [
        8 + headerLength,
        'field "first.data_offsets": ends at byte 16 but the data section has only 0 bytes (truncated file?)',
      ],
      [
        8 + headerLength + 10,
        'field "first.data_offsets": ends at byte 16 but the data section has only 10 bytes (truncated file?)',
      ],
      [
        good.byteLength - 1,
        'field "second.data_offsets": ends at byte 22 but the data section has only 21 bytes (truncated file?)',
      ],
    ];
    for (const [cut, message] of cuts) {
      const error = await failure(good.subarray(0, cut), `cut-${cut}.safetensors`);
      expect(error.message).toContain(`cut-${cut}.safetensors`);
      expect(error.message).toContain(message);
    }
    // Sanity: the uncut file reads.
    expect((await readSafetensors(good)).tensors.size).toBe(2);
  });

  it('a header length larger than the file, or huge', async () => {
    const lying = rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1), 4096n);
    expect((await failure(lying)).problem).toBe(
      `declared header length 4096 bytes is larger than the ${lying.byteLength - 8} bytes after the length prefix (truncated file?)`,
    );
    const huge = rawFile('{}', new Uint8Array(0), 2n ** 40n);
    expect((await failure(huge)).problem).toBe(
      'declared header length 1099511627776 bytes exceeds the 100000000-byte limit (corrupt or not a safetensors file)',
    );
    const maximum = rawFile('{}', new Uint8Array(0), 2n ** 64n - 1n);
    expect((await failure(maximum)).problem).toContain(
      'declared header length 18446744073709551615 bytes exceeds the 100000000-byte limit',
    );
  });

  it('offsets past the end, overlapping, leaving gaps or trailing bytes, or not matching the shape', async () => {
    const cases: Array<[object, Uint8Array, string]> = [
      [
        { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
        twoFloats,
        'field "a.data_offsets": ends at byte 16 but the data section has only 8 bytes (truncated file?)',
      ],
      [
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        twoFloats,
        'field "b.data_offsets": bytes [4, 8) overlap tensor "a" at [0, 8)',
      ],
      [
        { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
        twoFloats,
        'field "a.data_offsets": data section bytes [0, 4) before this tensor belong to no tensor',
      ],
      [
        { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
        twoFloats,
        'the data section has 4 bytes after the last tensor that belong to no tensor',
      ],
      [
        { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.data_offsets": [0, 8) holds 8 bytes but F32 × [3] needs 12',
      ],
      [
        { a: { dtype: 'F16', shape: [2], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.data_offsets": [0, 8) holds 8 bytes but F16 × [2] needs 4',
      ],
      [
        { a: { dtype: 'F32', shape: [2 ** 52, 2 ** 52, 16], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.data_offsets": [0, 8) holds 8 bytes but F32 × [4503599627370496, 4503599627370496, 16] needs more than 2^53',
      ],
      [
        { a: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.shape": must be an array of non-negative integers, got [2,-1]',
      ],
      [
        { a: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.shape": must be an array of non-negative integers, got [2.5]',
      ],
      [
        { a: { dtype: 'F32', shape: '2', data_offsets: [0, 8] } },
        twoFloats,
        'field "a.shape": must be an array of non-negative integers, got "2"',
      ],
      [
        { a: { dtype: 'F12', shape: [2], data_offsets: [0, 8] } },
        twoFloats,
        'field "a.dtype": unknown dtype "F12" (known: BOOL, U8, I8',
      ],
      [{ a: { shape: [2], data_offsets: [0, 8] } }, twoFloats, 'field "a.dtype": unknown dtype undefined'],
      [
        { a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } },
        twoFloats,
        'field "a.data_offsets": must be [begin, end] with 0 ≤ begin ≤ end, got [8,0]',
      ],
      [
        { a: { dtype: 'F32', shape: [2], data_offsets: [0, 1e300] } },
        twoFloats,
        'field "a.data_offsets": must be [begin, end] with 0 ≤ begin ≤ end, got [0,1e+300]',
      ],
      [
        { a: { dtype: 'F32', shape: [2], data_offsets: [0] } },
        twoFloats,
        'field "a.data_offsets": must be [begin, end]',
      ],
      [{ a: [1, 2] }, twoFloats, 'field "a": expected an object with dtype, shape and data_offsets'],
      [{ __metadata__: { format: 1 } }, new Uint8Array(0), 'field "__metadata__.format": must be a string, got 1'],
      [{ __metadata__: 'pt' }, new Uint8Array(0), 'field "__metadata__": must be an object of strings'],
    ];
    for (const [index, [header, data, message]] of cases.entries()) {
      const error = await failure(rawFile(header, data), `case-${index}.safetensors`);
      expect(error.message).toContain(`case-${index}.safetensors`);
      expect(error.message).toContain(message);
    }
  });

  it('invalid JSON, a non-object, a duplicate tensor name, bad UTF-8', async () => {
    expect((await failure(rawFile('{"a": {"dtype": "F32",', twoFloats))).problem).toMatch(
      /^header is not valid JSON: /,
    );
    expect((await failure(rawFile('[1, 2]', new Uint8Array(0)))).problem).toBe(
      'header does not start with "{" (found "[1, 2]")',
    );
    expect((await failure(rawFile('{} {}', new Uint8Array(0)))).problem).toMatch(/^header is not valid JSON/);
    expect((await failure(rawFile('{}', new Uint8Array(3)))).problem).toBe(
      'the data section has 3 bytes after the last tensor that belong to no tensor',
    );
    const duplicated =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const error = await failure(rawFile(duplicated, twoFloats));
    expect(error.problem).toBe('tensor "a" appears more than once in the header');
    expect(error.field).toBe('a');
    const doubleKey = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"dtype":"F16"}}';
    expect((await failure(rawFile(doubleKey, twoFloats))).message).toContain(
      'field "a.dtype": key "dtype" of a appears more than once in the header',
    );
    const latin1 = rawFile('{"a":1}', new Uint8Array(0));
    latin1[10] = 0xe9;
    expect((await failure(latin1)).problem).toBe('header is not valid UTF-8');
  });

  it('a missing file or a folder', async () => {
    const path = join(directory, 'absent.safetensors');
    await expect(readSafetensors(path)).rejects.toThrow(`${path}: cannot open: ENOENT`);
    await expect(readSafetensors(directory)).rejects.toThrow(`${directory}: is not a regular file`);
  });
});
