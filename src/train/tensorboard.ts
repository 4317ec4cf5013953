import { createRequire } from 'node:module';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
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
 * The messages of TensorFlow's event.proto and summary.proto that boiler writes, with their
 * official field numbers (no registry package ships these schemas).
 */
const EVENT_SCHEMA = {
  nested: {
    Event: {
      fields: { wallTime: { type: 'double', id: 1 }, step: { type: 'int64', id: 2 }, fileVersion: { type: 'string', id: 3 }, summary: { type: 'Summary', id: 5 } },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      nested: {
        Value: { fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 }, image: { type: 'Image', id: 4 } } },
        Image: {
          fields: { height: { type: 'int32', id: 1 }, width: { type: 'int32', id: 2 }, colorspace: { type: 'int32', id: 3 }, encodedImageString: { type: 'bytes', id: 4 } },
        },
      },
    },
  },
};

export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  /** colorspace 1: grayscale. */
  image?: { height: number; width: number; colorspace: number; encodedImageString: Uint8Array };
}

export interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
}

let eventType: import('protobufjs').Type | undefined;

/** The Event message type; protobufjs is loaded on first use, not when boiler starts. */
function eventMessage(): import('protobufjs').Type {
  eventType ??= (createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs')).Root.fromJSON(EVENT_SCHEMA).lookupType('Event');
  return eventType;
}

export function encodeEvent(event: Event): Uint8Array {
  return eventMessage().encode(event).finish();
}

/** An Event's step; 0 when absent, as protobuf reads it. */
export function eventStep(event: Uint8Array): number {
  const { step } = eventMessage().toObject(eventMessage().decode(event), { longs: Number, defaults: true }) as { step: number };
  return step;
}

/** Writes TensorBoard event files (`events.out.tfevents.*`) so that `tensorboard --logdir DIR` shows scalars and images. */
export class EventWriter {
  private readonly fd: number;
  readonly path: string;

  constructor(dir: string) {
    makeDirectory(dir);
    this.path = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, 'a');
    this.write(0, { fileVersion: 'brain.Event:2' });
  }

  private write(step: number, what: Pick<Event, 'fileVersion' | 'summary'>): void {
    writeSync(this.fd, tfRecord(encodeEvent({ wallTime: Date.now() / 1000, step, ...what })));
  }

  scalars(step: number, values: Record<string, number>): void {
    this.write(step, { summary: { value: Object.entries(values).map(([tag, simpleValue]) => ({ tag, simpleValue })) } });
  }

  /** A grayscale PNG image. */
  image(step: number, tag: string, png: Uint8Array, width: number, height: number): void {
    this.write(step, { summary: { value: [{ tag, image: { height, width, colorspace: 1, encodedImageString: png } }] } });
  }

  close(): void {
    closeSync(this.fd);
  }
}
