import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { locateFfmpeg } from '../src/audio/ffmpeg.js';
import { EventWriter, crc32c } from '../src/train/tensorboard.js';
import { encodeGrayPng } from '../src/util/png.js';
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
  const png = encodeGrayPng(Uint8Array.from([0, 128, 255, 64, 32, 16]), 3, 2);
  writer.image(7, 'mel/reconstruction', png, 3, 2);
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
  assert.deepEqual([img.get(1)![0], img.get(2)![0]], [2n, 3n]);
  assert.ok((img.get(4)![0] as Buffer).equals(png));
});

test('the PNG encoder writes pixels that ffmpeg decodes back unchanged', () => {
  const width = 5;
  const height = 3;
  const pixels = Uint8Array.from({ length: width * height }, (_, i) => (i * 17) % 256);
  const dir = scratchDir('boiler-png-');
  const path = join(dir, 'x.png');
  writeFileSync(path, encodeGrayPng(pixels, width, height));
  const decoded = execFileSync(locateFfmpeg().path, ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  assert.deepEqual([...decoded], [...pixels]);
});
