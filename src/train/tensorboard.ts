import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { ProtoWriter } from '../util/protobuf.js';
import { makeDirectory } from '../util/make-dir.js';

/** CRC-32C (Castagnoli), the checksum TFRecord framing uses. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC32C_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function maskedCrc(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  const lengthCrc = Buffer.alloc(4);
  lengthCrc.writeUInt32LE(maskedCrc(length));
  const dataCrc = Buffer.alloc(4);
  dataCrc.writeUInt32LE(maskedCrc(data));
  return Buffer.concat([length, lengthCrc, data, dataCrc]);
}

/** The records of a TFRecord file, each with its framing; a record cut short by a killed writer ends the list. */
export function readRecords(bytes: Buffer): { data: Buffer; framed: Buffer }[] {
  const records: { data: Buffer; framed: Buffer }[] = [];
  for (let at = 0; at + 12 <= bytes.length; ) {
    const length = Number(bytes.readBigUInt64LE(at));
    const end = at + 16 + length;
    if (end > bytes.length) break;
    records.push({ data: bytes.subarray(at + 12, at + 12 + length), framed: bytes.subarray(at, end) });
    at = end;
  }
  return records;
}

/** An Event's step (field 2, a varint); 0 when absent, as protobuf reads it. Other fields are skipped by wire type. */
export function eventStep(event: Uint8Array): number {
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = event[at++];
      value += (byte & 0x7f) * scale;
      if (!(byte & 0x80) || at >= event.length) return value;
    }
  };
  while (at < event.length) {
    const key = varint();
    const wireType = key % 8;
    if (key >>> 3 === 2 && wireType === 0) return varint();
    if (wireType === 0) varint();
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else at += varint();
  }
  return 0;
}

/**
 * Removes the events after `step` from the event files in `dir`: a run resumed from the
 * checkpoint of `step` logs the steps after it again, and TensorBoard would show both.
 */
export function dropEventsAfter(dir: string, step: number): void {
  for (const name of readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.') && !n.includes('.tmp-'))) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const kept = readRecords(bytes).filter(({ data }) => eventStep(data) <= step);
    const keptBytes = Buffer.concat(kept.map(({ framed }) => framed));
    if (keptBytes.length !== bytes.length) writeFileAtomic(path, keptBytes);
  }
}

/**
 * Writes TensorBoard event files (`events.out.tfevents.*`) so that `tensorboard --logdir DIR`
 * shows scalars and images. Event proto: wall_time = 1, step = 2, file_version = 3, summary = 5;
 * Summary.value = 1; Value: tag = 1, simple_value = 2, image = 4; Image: height 1, width 2,
 * colorspace 3, encoded_image_string 4.
 */
export class EventWriter {
  private readonly fd: number;
  readonly path: string;

  constructor(dir: string) {
    makeDirectory(dir);
    this.path = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, 'a');
    this.write((e) => e.string(3, 'brain.Event:2'), 0);
  }

  private write(fill: (event: ProtoWriter) => void, step: number): void {
    const event = new ProtoWriter().double(1, Date.now() / 1000).int(2, step);
    fill(event);
    writeSync(this.fd, tfRecord(event.finish()));
  }

  private summary(step: number, values: ProtoWriter[]): void {
    const summary = new ProtoWriter();
    for (const value of values) summary.message(1, value);
    this.write((e) => e.message(5, summary), step);
  }

  scalars(step: number, values: Record<string, number>): void {
    this.summary(
      step,
      Object.entries(values).map(([tag, value]) => new ProtoWriter().string(1, tag).float(2, value)),
    );
  }

  /** A PNG image (grayscale: colorspace 1). */
  image(step: number, tag: string, png: Uint8Array, width: number, height: number): void {
    const image = new ProtoWriter().int(1, height).int(2, width).int(3, 1).bytes(4, png);
    this.summary(step, [new ProtoWriter().string(1, tag).message(4, image)]);
  }

  close(): void {
    closeSync(this.fd);
  }
}
