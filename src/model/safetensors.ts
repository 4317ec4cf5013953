import { writeFileAtomic } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { readUserFile } from '../util/read-file.js';

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}}` (offsets relative to the end of the header,
 * plus an optional `__metadata__` of strings), then the raw little-endian data.
 * PyTorch checkpoints of the original boiler and boiler's own use it, so weights move between the two.
 */

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NamedTensor {
  dtype: 'F32' | 'F64' | 'I32' | 'I64' | 'U8';
  shape: number[];
  data: TensorData;
}

export type TensorMap = Map<string, NamedTensor>;

const ARRAY_OF: Record<NamedTensor['dtype'], { bytes: number; make: (buffer: ArrayBuffer) => TensorData }> = {
  F32: { bytes: 4, make: (b) => new Float32Array(b) },
  F64: { bytes: 8, make: (b) => new Float64Array(b) },
  I32: { bytes: 4, make: (b) => new Int32Array(b) },
  I64: { bytes: 8, make: (b) => new BigInt64Array(b) },
  U8: { bytes: 1, make: (b) => new Uint8Array(b) },
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parses safetensors bytes; `source` names the file in errors. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors data'): { tensors: TensorMap; metadata: Record<string, string> } {
  const bad = (why: string) => new UserError(`${source} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw bad('header length exceeds the file');
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw bad('header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as HeaderEntry;
    const kind = ARRAY_OF[dtype as NamedTensor['dtype']];
    if (!kind) throw bad(`tensor ${name} has unsupported dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * kind.bytes || dataStart + end > bytes.length) throw bad(`tensor ${name} has inconsistent size`);
    // Copy into an aligned buffer: typed arrays need their offset to be a multiple of the element size.
    const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)).buffer;
    tensors.set(name, { dtype: dtype as NamedTensor['dtype'], shape, data: kind.make(copy) });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): { tensors: TensorMap; metadata: Record<string, string> } {
  const bytes = readUserFile(path);
  return parseSafetensors(bytes, path);
}

/** Serialises tensors (in insertion order) and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so that the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json);
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.byteLength;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: TensorMap, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
