import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, imageStatistics } from './decode-png';

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** A PNG encoder written from the specification, applying filter `filters[row % 5]` to each row. */
function encodePng(
  width: number,
  height: number,
  channels: number,
  samples: Uint8Array,
  filters = [0, 1, 2, 3, 4],
): Buffer {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels]!;
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let row = 0; row < height; row += 1) {
    const filter = filters[row % filters.length]!;
    raw[row * (stride + 1)] = filter;
    for (let index = 0; index < stride; index += 1) {
      const value = samples[row * stride + index]!;
      const left = index >= channels ? samples[row * stride + index - channels]! : 0;
      const up = row > 0 ? samples[(row - 1) * stride + index]! : 0;
      const upLeft = row > 0 && index >= channels ? samples[(row - 1) * stride + index - channels]! : 0;
      const estimate = left + up - upLeft;
      const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
      const paeth = a <= b && a <= c ? left : b <= c ? up : upLeft;
      const predicted = [0, left, up, (left + up) >> 1, paeth][filter]!;
      raw[row * (stride + 1) + 1 + index] = (value - predicted) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = colorType;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const deflated = deflateSync(raw);
  // Split the data over two IDAT chunks, as encoders may.
  const half = Math.floor(deflated.length / 2);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflated.subarray(0, half)),
    chunk('IDAT', deflated.subarray(half)),
    chunk('IEND', new Uint8Array()),
  ]);
}

function pseudoRandomSamples(length: number): Uint8Array {
  let state = 12345;
  return Uint8Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state >> 16;
  });
}

describe('decodePng', () => {
  it.each([4, 3, 2, 1])('round-trips %d-channel images through all five filters', (channels) => {
    const [width, height] = [7, 11];
    const samples = pseudoRandomSamples(width * height * channels);
    const image = decodePng(encodePng(width, height, channels, samples));
    expect([image.width, image.height]).toEqual([width, height]);
    for (let pixel = 0; pixel < width * height; pixel += 1) {
      const source = samples.subarray(pixel * channels, pixel * channels + channels);
      const rgba =
        channels >= 3
          ? [source[0], source[1], source[2], channels === 4 ? source[3] : 255]
          : [source[0], source[0], source[0], channels === 2 ? source[1] : 255];
      expect([...image.pixels.subarray(pixel * 4, pixel * 4 + 4)]).toEqual(rgba);
    }
  });

  it('rejects a bad signature, a bad CRC, and unsupported formats', () => {
    const png = encodePng(2, 2, 3, new Uint8Array(12));
    expect(() => decodePng(png.subarray(1))).toThrow('not a PNG: bad signature');
    const corrupted = Buffer.from(png);
    corrupted[20] = corrupted[20]! ^ 1;
    expect(() => decodePng(corrupted)).toThrow('bad CRC in IHDR chunk');
    const sixteenBit = Buffer.from(png);
    sixteenBit[24] = 16;
    sixteenBit.writeUInt32BE(crc32(sixteenBit.subarray(12, 29)), 29);
    expect(() => decodePng(sixteenBit)).toThrow('unsupported PNG: bit depth 16, colour type 2, interlace 0');
    expect(() => decodePng(png.subarray(0, png.length - 12))).toThrow('truncated PNG: no IEND chunk');
  });
});

describe('imageStatistics', () => {
  it('counts colours and the share of pixels off the commonest colour', () => {
    // 4 pixels: three white, one red.
    const samples = Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0]);
    const statistics = imageStatistics(decodePng(encodePng(2, 2, 3, samples)));
    expect(statistics).toEqual({ distinctColors: 2, backgroundShare: 0.75, foregroundShare: 0.25 });
  });
});
