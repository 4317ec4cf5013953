import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, tail]);
}

/** PNG colour types: 0 grayscale (1 byte a pixel), 2 RGB (3 bytes a pixel). */
const CHANNELS = { 0: 1, 2: 3 } as const;

function encodePng(pixels: Uint8Array, width: number, height: number, colourType: keyof typeof CHANNELS): Buffer {
  const channels = CHANNELS[colourType];
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) throw new Error(`expected ${rowBytes * height} bytes (${width}×${height}×${channels}), got ${pixels.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colourType;
  // Each scanline starts with its filter type, 0 (none).
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Encodes an 8-bit grayscale image (row-major, `width × height` bytes) as PNG. */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  return encodePng(pixels, width, height, 0);
}

/** Encodes an 8-bit RGB image (row-major, `width × height × 3` bytes: r, g, b) as PNG. */
export function encodeRgbPng(pixels: Uint8Array, width: number, height: number): Buffer {
  return encodePng(pixels, width, height, 2);
}
