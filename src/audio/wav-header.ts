import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** What a wav file's header says about its samples, read without touching the samples themselves. */
export interface WavHeader {
  /** 1 is integer PCM; 3 float; 0xFFFE (extensible) is not what training reads. */
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes of sample data actually present: the data chunk's size, cut to the end of the file. */
  dataBytes: number;
  /** Samples per channel. */
  frames: number;
  seconds: number;
}

/** A chunk header is a four-letter id and a little-endian 32-bit size; chunks are padded to even sizes. */
const CHUNK_HEADER = 8;
const FMT_MIN = 16;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

/**
 * Reads the RIFF/WAVE chunk headers of `path` (a few dozen bytes, however long the file) and
 * returns the format and length. Throws an Error saying what is wrong when the file is not a wav
 * that a reader could use (not RIFF/WAVE, no fmt or data chunk).
 */
export function readWavHeader(path: string): WavHeader {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const riff = readAt(fd, 0, 12);
    if (riff.length < 12 || riff.toString('latin1', 0, 4) !== 'RIFF' || riff.toString('latin1', 8, 12) !== 'WAVE') {
      throw new Error('not a RIFF/WAVE file');
    }
    let fmt: Buffer | undefined;
    for (let position = 12; position + CHUNK_HEADER <= fileSize; ) {
      const chunk = readAt(fd, position, CHUNK_HEADER);
      const id = chunk.toString('latin1', 0, 4);
      const size = chunk.readUInt32LE(4);
      const body = position + CHUNK_HEADER;
      if (id === 'fmt ') {
        fmt = readAt(fd, body, Math.min(size, 40));
        if (fmt.length < FMT_MIN) throw new Error('fmt chunk is too short');
      } else if (id === 'data') {
        if (!fmt) throw new Error('data chunk before the fmt chunk');
        return describe(fmt, Math.min(size, fileSize - body));
      }
      position = body + size + (size % 2);
    }
    throw new Error(fmt ? 'no data chunk' : 'no fmt chunk');
  } finally {
    closeSync(fd);
  }
}

function describe(fmt: Buffer, dataBytes: number): WavHeader {
  const audioFormat = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const bitsPerSample = fmt.readUInt16LE(14);
  const frameBytes = channels * Math.ceil(bitsPerSample / 8);
  const frames = frameBytes > 0 ? Math.floor(dataBytes / frameBytes) : 0;
  return { audioFormat, channels, sampleRate, bitsPerSample, dataBytes, frames, seconds: sampleRate > 0 ? frames / sampleRate : 0 };
}
