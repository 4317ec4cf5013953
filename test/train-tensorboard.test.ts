import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { PNG } from 'pngjs';
import { melImage } from '../src/train/mel-image.js';
import { EventWriter, crc32c, encodeEvent } from '../src/train/tensorboard.js';
import { scratchDir } from './helpers/scratch.js';

/** Reads TFRecord framing back, checking both masked CRCs. */
function readRecords(bytes: Buffer): Buffer[] {
  const mask = (crc: number) => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
  const records: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = Number(bytes.readBigUInt64LE(at));
    assert.equal(bytes.readUInt32LE(at + 8), mask(crc32c(bytes.subarray(at, at + 8))), 'length crc');
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(bytes.readUInt32LE(at + 12 + length), mask(crc32c(data)), 'data crc');
    records.push(data);
    at += 16 + length;
  }
  return records;
}

/** A small protobuf reader for the test: field number → list of raw values. */
function decode(bytes: Uint8Array): Map<number, (bigint | Buffer | number)[]> {
  const fields = new Map<number, (bigint | Buffer | number)[]>();
  const buf = Buffer.from(bytes);
  let at = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const [field, type] = [key >> 3, key & 7];
    let value: bigint | Buffer | number;
    if (type === 0) value = varint();
    else if (type === 1) value = (at += 8, buf.readDoubleLE(at - 8));
    else if (type === 5) value = (at += 4, buf.readFloatLE(at - 4));
    else {
      const length = Number(varint());
      value = buf.subarray(at, at + length);
      at += length;
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

test('crc32c matches the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('event files hold a version record, then scalars and images TensorBoard can read', () => {
  const dir = scratchDir('boiler-tb-');
  const writer = new EventWriter(dir);
  writer.scalars(7, { 'loss/recon': 0.25, lr: 1e-4 });
  const { png } = melImage(Float32Array.of(0, 1, 2), Float32Array.of(2, 1, 0), 1, 1, 3);
  writer.image(7, 'mel/reconstruction', png, 6, 1);
  writer.close();
  assert.match(writer.path, /events\.out\.tfevents\.\d+\./);
  const [version, scalars, image] = readRecords(readFileSync(writer.path)).map(decode);
  assert.equal((version.get(3)![0] as Buffer).toString(), 'brain.Event:2');
  assert.equal(scalars.get(2)![0], 7n);
  const values = decode(scalars.get(5)![0] as Buffer).get(1)!.map((v) => decode(v as Buffer));
  assert.deepEqual(values.map((v) => (v.get(1)![0] as Buffer).toString()), ['loss/recon', 'lr']);
  assert.equal(values[0].get(2)![0], 0.25);
  assert.ok(Math.abs((values[1].get(2)![0] as number) - 1e-4) < 1e-9);
  const imageValue = decode(decode(image.get(5)![0] as Buffer).get(1)![0] as Buffer);
  const img = decode(imageValue.get(4)![0] as Buffer);
  assert.deepEqual([img.get(1)![0], img.get(2)![0]], [1n, 6n]);
  assert.ok((img.get(4)![0] as Buffer).equals(png));
});

test('events encode to the bytes the former hand-written protobuf writer produced', () => {
  const wallTime = 1700000000.25;
  const event = (what: Omit<Parameters<typeof encodeEvent>[0], 'wallTime'>) => Buffer.from(encodeEvent({ wallTime, ...what })).toString('base64');
  const scalars = { value: [{ tag: 'loss/recon', simpleValue: 0.25 }, { tag: 'lr', simpleValue: 1e-4 }] };
  assert.equal(event({ step: 7, summary: scalars }), 'CQAAEED8VNlBEAcqHgoRCgpsb3NzL3JlY29uFQAAgD4KCQoCbHIVF7fROA==');
  const image = { height: 2, width: 3, colorspace: 1, encodedImageString: Uint8Array.of(1, 2, 3, 4) };
  assert.equal(event({ step: 7, summary: { value: [{ tag: 'mel/reconstruction', image }] } }), 'CQAAEED8VNlBEAcqJAoiChJtZWwvcmVjb25zdHJ1Y3Rpb24iDAgCEAMYASIEAQIDBA==');
  // event.proto is proto3: a step of 0 is left out, where the former writer wrote it (CQAAEED8VNlBEAAaDWJy…).
  assert.equal(event({ step: 0, fileVersion: 'brain.Event:2' }), 'CQAAEED8VNlBGg1icmFpbi5FdmVudDoy');
});

/** A mel image's pixels as pngjs decodes them: one gray byte a pixel. */
function grayPixels(png: Buffer): number[] {
  return [...PNG.sync.read(png).data.filter((_, i) => i % 4 === 0)];
}

test('mel images decode, with pngjs and with ffmpeg, to the pixels of the former hand-written encoder', () => {
  const input = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i));
  const { png, width, height } = melImage(input, input.map((v) => v * 0.5 + 0.1), 2, 3, 4);
  assert.deepEqual([width, height], [8, 6]);
  const former = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAAAAADbboAnAAAAQUlEQVR4nAE2AMn/AP+1OgDMp2pNAB8FXNRcUHu3AIDs9ZKNw8eWAPXrfA/GwYpTAFgAG5F4TFqUADe0/9Nopsu1pP0ZuzlzGNwAAAAASUVORK5CYII=',
    'base64',
  );
  assert.deepEqual(grayPixels(png), grayPixels(former));
  const path = join(scratchDir('boiler-png-'), 'mel.png');
  writeFileSync(path, png);
  const decoded = execFileSync(locateFfmpeg().path, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  assert.deepEqual([...decoded], grayPixels(former));
});
