import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors, type TensorMap } from '../src/model/safetensors.js';
import { REFERENCE_CHECKPOINT } from './helpers/model-dir.js';
import { scratchDir } from './helpers/scratch.js';

test('the reference checkpoint reads with its PyTorch names and layouts', () => {
  const { tensors, metadata } = readSafetensors(REFERENCE_CHECKPOINT);
  assert.deepEqual(tensors.get('enc_t.0.weight')!.shape, [8, 16, 20, 20]);
  assert.deepEqual(tensors.get('quantize_b.embedding0')!.shape, [1, 512, 16]);
  let total = 0;
  for (const t of tensors.values()) total += t.data.length;
  assert.equal(total, 313_065);
  assert.equal(metadata.parameters, '313065');
});

test('write then read gives the same tensors and metadata, byte for byte on re-encode', () => {
  const tensors: TensorMap = new Map([
    ['a.weight', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }],
    ['ids', { dtype: 'I64', shape: [2], data: BigInt64Array.from([7n, -1n]) }],
  ]);
  const dir = scratchDir('boiler-st-');
  const path = join(dir, 'x.safetensors');
  writeSafetensors(path, tensors, { step: '3' });
  assert.deepEqual(readdirSync(dir), ['x.safetensors'], 'no temporary file left');
  const back = readSafetensors(path);
  assert.deepEqual(back.metadata, { step: '3' });
  assert.deepEqual([...(back.tensors.get('a.weight')!.data as Float32Array)], [1, 2, 3, 4, 5, 6.5]);
  assert.deepEqual([...(back.tensors.get('ids')!.data as BigInt64Array)], [7n, -1n]);
  assert.ok(encodeSafetensors(back.tensors, back.metadata).equals(readFileSync(path)));
});

test('truncated or garbage files are clear errors', () => {
  const dir = scratchDir('boiler-st-');
  const good = encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]));
  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, good.subarray(0, good.length - 3));
  assert.throws(() => readSafetensors(cut), /cut\.safetensors is not a valid safetensors file: tensor w has inconsistent size/);
  assert.throws(() => parseSafetensors(Buffer.from('hello world!'), 'junk'), /junk is not a valid safetensors file/);
});
