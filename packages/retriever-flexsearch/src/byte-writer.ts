/**
 * A growable byte array written front to back: unsigned LEB128 varints (7 bits a byte, low bits first, the
 * high bit set on every byte but the last), little-endian fixed-width integers and raw bytes.
 */
export class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 12) {
    this.bytes = new Uint8Array(capacity);
  }

  /** The bytes written so far (a view, valid until the next write or {@link clear}). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** Makes room for `count` more bytes. */
  reserve(count: number): void {
    if (this.length + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + count));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** An unsigned integer up to 2^53 − 1 as a varint (1 byte below 128, 5 bytes for 2^32 − 1). */
  varint(value: number): void {
    this.reserve(8);
    const bytes = this.bytes;
    let length = this.length;
    while (value >= 0x80) {
      bytes[length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[length++] = value;
    this.length = length;
  }

  uint32(value: number): void {
    this.reserve(4);
    const bytes = this.bytes;
    const at = this.length;
    bytes[at] = value & 0xff;
    bytes[at + 1] = (value >>> 8) & 0xff;
    bytes[at + 2] = (value >>> 16) & 0xff;
    bytes[at + 3] = (value >>> 24) & 0xff;
    this.length = at + 4;
  }

  /** An unsigned integer up to 2^53 − 1 in 8 little-endian bytes. */
  uint64(value: number): void {
    this.uint32(value % 0x1_0000_0000);
    this.uint32(Math.floor(value / 0x1_0000_0000));
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
}

/** Reads what a {@link ByteWriter} wrote; `position` advances. Reading past the end throws a `RangeError`. */
export class ByteReader {
  position: number;

  constructor(
    readonly bytes: Uint8Array,
    position = 0,
  ) {
    this.position = position;
  }

  get done(): boolean {
    return this.position >= this.bytes.length;
  }

  varint(): number {
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 8; shift += 1) {
      if (this.position >= bytes.length) throw new RangeError('varint runs past the end of the data');
      const byte = bytes[this.position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new RangeError('varint longer than 8 bytes');
  }

  uint32(): number {
    const bytes = this.bytes;
    const at = this.position;
    if (at + 4 > bytes.length) throw new RangeError('uint32 runs past the end of the data');
    this.position = at + 4;
    return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  }

  uint64(): number {
    const low = this.uint32();
    return low + this.uint32() * 0x1_0000_0000;
  }

  raw(count: number): Uint8Array {
    const at = this.position;
    if (at + count > this.bytes.length) throw new RangeError('bytes run past the end of the data');
    this.position = at + count;
    return this.bytes.subarray(at, at + count);
  }
}
