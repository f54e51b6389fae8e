import { crc32, inflateSync } from 'node:zlib';

/** A decoded image: `pixels` holds RGBA, 4 bytes per pixel, rows top to bottom. */
export interface DecodedImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Channels per pixel of each supported colour type: grey, RGB, grey + alpha, RGBA. */
const channelsByColorType: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** The Paeth predictor of the PNG specification (§9.4). */
function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

/**
 * Decodes a PNG of 8-bit depth, non-interlaced, colour type grey, RGB, grey + alpha or RGBA (what
 * Chromium's screenshots are): checks the signature and each chunk's CRC, inflates the IDAT stream with
 * node:zlib, and undoes the five row filters. Throws on anything else.
 */
export function decodePng(png: Uint8Array): DecodedImage {
  const buffer = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!buffer.subarray(0, 8).equals(signature)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (;;) {
    if (offset + 12 > buffer.length) throw new Error('truncated PNG: no IEND chunk');
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const body = buffer.subarray(offset + 8, offset + 8 + length);
    const stored = buffer.readUInt32BE(offset + 8 + length);
    if (crc32(buffer.subarray(offset + 4, offset + 8 + length)) !== stored) throw new Error(`bad CRC in ${type} chunk`);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [bitDepth, colorType, , , interlace] = [body[8]!, body[9]!, body[10]!, body[11]!, body[12]!];
      channels = channelsByColorType[colorType] ?? 0;
      if (bitDepth !== 8 || channels === 0 || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
      }
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
  }
  if (width === 0 || height === 0) throw new Error('PNG without IHDR or with an empty image');
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1))
    throw new Error(`PNG data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const rows = new Uint8Array(height * stride);
  for (let row = 0; row < height; row += 1) {
    const filter = raw[row * (stride + 1)]!;
    const source = row * (stride + 1) + 1;
    const target = row * stride;
    for (let index = 0; index < stride; index += 1) {
      const value = raw[source + index]!;
      const left = index >= channels ? rows[target + index - channels]! : 0;
      const up = row > 0 ? rows[target - stride + index]! : 0;
      const upLeft = row > 0 && index >= channels ? rows[target - stride + index - channels]! : 0;
      let predicted: number;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) predicted = paeth(left, up, upLeft);
      else throw new Error(`bad PNG filter type ${filter} in row ${row}`);
      rows[target + index] = (value + predicted) & 0xff;
    }
  }
  const pixels = new Uint8Array(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel += 1) {
    const from = pixel * channels;
    const grey = channels <= 2;
    pixels[pixel * 4] = rows[from]!;
    pixels[pixel * 4 + 1] = grey ? rows[from]! : rows[from + 1]!;
    pixels[pixel * 4 + 2] = grey ? rows[from]! : rows[from + 2]!;
    pixels[pixel * 4 + 3] = channels === 4 ? rows[from + 3]! : channels === 2 ? rows[from + 1]! : 255;
  }
  return { width, height, pixels };
}

/** How varied an image is: distinct RGBA colours, and the share of pixels that differ from the commonest colour. */
export function imageStatistics(image: DecodedImage): {
  distinctColors: number;
  backgroundShare: number;
  foregroundShare: number;
} {
  const counts = new Map<number, number>();
  const view = new DataView(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  for (let offset = 0; offset < image.pixels.length; offset += 4) {
    const color = view.getUint32(offset);
    counts.set(color, (counts.get(color) ?? 0) + 1);
  }
  const total = image.width * image.height;
  const background = Math.max(...counts.values());
  return { distinctColors: counts.size, backgroundShare: background / total, foregroundShare: 1 - background / total };
}
