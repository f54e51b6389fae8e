/**
 * bfloat16 <-> float32 conversion in WebAssembly SIMD (128-bit, 4 lanes at a time), for the bulk of
 * large tensors; `bfloat16.ts` falls back to plain loops when WebAssembly SIMD is missing and for
 * the last (length mod 8) elements. The module is small enough to write out by hand:
 *
 *   widen(src, dst, count):  for 8 u16 at src: dst ← (extend_low_u16→u32 << 16, extend_high_u16→u32 << 16)
 *   narrow(src, dst, count): for 2×4 u32 x at src: t = x >>u 16,
 *                            r = (x + 0x7fff + (t & 1)) >>u 16            (round to nearest, ties to even)
 *                            r = (x & 0x7fffffff) >s 0x7f800000 ? t | 0x40 : r   (NaN stays NaN, quiet)
 *                            dst ← narrow_u32→u16(r0, r1)
 * `count` is a multiple of 8; both work inside the module's own 2-page memory (see `chunkElements`).
 */

/** Elements converted per call: the input fits in page 0 and the output in page 1 for both directions. */
export const chunkElements = 16384;
const inputOffset = 0;
const outputOffset = 65536;

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

const i32 = 0x7f;
const v128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  localGet: (index: number) => [0x20, index],
  localSet: (index: number) => [0x21, index],
  i32Const: (value: number) => [0x41, value], // values below 64 only (one signed LEB byte)
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  simd: (code: number, ...immediates: number[]) => [0xfd, ...unsignedLeb(code), ...immediates],
};
const simd = {
  load: op.simd(0x00, 0, 0), // memarg: align 2^0 (a hint), offset 0
  store: (offset: number) => op.simd(0x0b, 0, ...unsignedLeb(offset)),
  constI32x4: (value: number) =>
    op.simd(
      0x0c,
      ...Array.from({ length: 4 }, () => [
        value & 0xff,
        (value >>> 8) & 0xff,
        (value >>> 16) & 0xff,
        value >>> 24,
      ]).flat(),
    ),
  i32x4GtS: op.simd(59),
  and: op.simd(78),
  or: op.simd(80),
  bitselect: op.simd(82),
  i16x8NarrowI32x4U: op.simd(134),
  i32x4ExtendLowI16x8U: op.simd(169),
  i32x4ExtendHighI16x8U: op.simd(170),
  i32x4Shl: op.simd(171),
  i32x4ShrU: op.simd(173),
  i32x4Add: op.simd(174),
};

/** `end = src + count << shift` then loop while src < end: params 0 src, 1 dst, 2 count; local 3 end. */
function loopBody(elementShift: number, body: number[], sourceStep: number, destinationStep: number): number[] {
  return [
    ...op.localGet(0),
    ...op.localGet(2),
    ...op.i32Const(elementShift),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localSet(3),
    ...op.block,
    ...op.loop,
    ...op.localGet(0),
    ...op.localGet(3),
    ...op.i32GeU,
    ...op.brIf(1),
    ...body,
    ...op.localGet(0),
    ...op.i32Const(sourceStep),
    ...op.i32Add,
    ...op.localSet(0),
    ...op.localGet(1),
    ...op.i32Const(destinationStep),
    ...op.i32Add,
    ...op.localSet(1),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

// widen: 8 bf16 (16 bytes) in, 8 f32 (32 bytes) out per step.
const widenBody = loopBody(
  1,
  [
    ...op.localGet(1),
    ...op.localGet(0),
    ...simd.load,
    ...simd.i32x4ExtendLowI16x8U,
    ...op.i32Const(16),
    ...simd.i32x4Shl,
    ...simd.store(0),
    ...op.localGet(1),
    ...op.localGet(0),
    ...simd.load,
    ...simd.i32x4ExtendHighI16x8U,
    ...op.i32Const(16),
    ...simd.i32x4Shl,
    ...simd.store(16),
  ],
  16,
  32,
);

/** Rounds the f32 lanes loaded from `src + offset` to bf16 lanes (as u32), leaving them on the stack. Locals 4 x, 5 t. */
function roundLanes(offset: number): number[] {
  const address = offset === 0 ? op.localGet(0) : [...op.localGet(0), ...op.i32Const(offset), ...op.i32Add];
  return [
    ...address,
    ...simd.load,
    ...op.localSet(4),
    ...op.localGet(4),
    ...op.i32Const(16),
    ...simd.i32x4ShrU,
    ...op.localSet(5),
    ...op.localGet(5),
    ...simd.constI32x4(0x40),
    ...simd.or, // NaN: t | 0x40
    ...op.localGet(4),
    ...simd.constI32x4(0x7fff),
    ...simd.i32x4Add,
    ...op.localGet(5),
    ...simd.constI32x4(1),
    ...simd.and,
    ...simd.i32x4Add,
    ...op.i32Const(16),
    ...simd.i32x4ShrU, // rounded
    ...op.localGet(4),
    ...simd.constI32x4(0x7fffffff),
    ...simd.and,
    ...simd.constI32x4(0x7f800000),
    ...simd.i32x4GtS, // is NaN
    ...simd.bitselect,
  ];
}

// narrow: 8 f32 (32 bytes) in, 8 bf16 (16 bytes) out per step; locals 6, 7 hold the two halves.
const narrowBody = loopBody(
  2,
  [
    ...roundLanes(0),
    ...op.localSet(6),
    ...roundLanes(16),
    ...op.localSet(7),
    ...op.localGet(1),
    ...op.localGet(6),
    ...op.localGet(7),
    ...simd.i16x8NarrowI32x4U,
    ...simd.store(0),
  ],
  32,
  16,
);

function functionBody(locals: Array<[number, number]>, body: number[]): number[] {
  const content = [
    ...unsignedLeb(locals.length),
    ...locals.flatMap(([count, type]) => [...unsignedLeb(count), type]),
    ...body,
    ...op.end,
  ];
  return [...unsignedLeb(content.length), ...content];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

const name = (text: string) => [text.length, ...Array.from(text, (character) => character.charCodeAt(0))];

/** The module's bytes (exported for the test that checks it validates). */
export function bfloat16SimdModuleBytes(): Uint8Array {
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 3, i32, i32, i32, 0]), // one type: (i32, i32, i32) -> ()
    ...section(3, [2, 0, 0]), // two functions of type 0
    ...section(5, [1, 0x00, 2]), // one memory, 2 pages
    ...section(7, [3, ...name('memory'), 0x02, 0, ...name('widen'), 0x00, 0, ...name('narrow'), 0x00, 1]),
    ...section(10, [
      2,
      ...functionBody([[1, i32]], widenBody),
      ...functionBody(
        [
          [1, i32],
          [4, v128],
        ],
        narrowBody,
      ),
    ]),
  ]);
}

export interface Bfloat16Simd {
  widen(count: number): void;
  narrow(count: number): void;
  /** Page 0 as bf16 input (widen) and page 1 as f32 output. */
  halvesIn: Uint16Array;
  singlesOut: Float32Array;
  /** Page 0 as f32 input (narrow) and page 1 as bf16 output. */
  singlesIn: Float32Array;
  halvesOut: Uint16Array;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

let instance: Bfloat16Simd | null | undefined;

/** The SIMD converter, or null where WebAssembly SIMD is unavailable. Built once, synchronously. */
export function bfloat16Simd(): Bfloat16Simd | null {
  if (instance !== undefined) return instance;
  try {
    const bytes = bfloat16SimdModuleBytes();
    // The WebAssembly global, typed here: this package's TypeScript lib has no DOM/WebAssembly types.
    const engine = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (engine === undefined || !engine.validate(bytes)) return (instance = null);
    const exports = new engine.Instance(new engine.Module(bytes)).exports as {
      memory: { buffer: ArrayBuffer };
      widen: (source: number, destination: number, count: number) => void;
      narrow: (source: number, destination: number, count: number) => void;
    };
    const buffer = exports.memory.buffer;
    instance = {
      widen: (count) => exports.widen(inputOffset, outputOffset, count),
      narrow: (count) => exports.narrow(inputOffset, outputOffset, count),
      halvesIn: new Uint16Array(buffer, inputOffset, chunkElements),
      singlesOut: new Float32Array(buffer, outputOffset, chunkElements),
      singlesIn: new Float32Array(buffer, inputOffset, chunkElements),
      halvesOut: new Uint16Array(buffer, outputOffset, chunkElements),
    };
  } catch {
    instance = null;
  }
  return instance;
}
