import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLIP_SAMPLES } from '../src/audio/clip.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { TfjsEncoder } from '../src/model/tfjs-encoder.js';
import { createVQVAE2 } from '../src/model/vqvae.js';
import { FIXTURES, runBoiler } from './helpers/cli.js';
import { fixtureWavs } from './helpers/wavs.js';
import { referenceOutputs, referenceWeights } from './model/reference.js';
import { assertCosines } from './onnx/compare.js';
import { scratchDir } from './helpers/scratch.js';

test('the TensorFlow.js encoder reproduces the original BagTop embeddings from wavs', async () => {
  const expected = referenceOutputs();
  const encoder = TfjsEncoder.fromStateDict(referenceWeights(), 'BagTopVQVAE');
  assert.equal(encoder.dimension, 64);
  const bags = await encoder.embed(expected.get('input')!.data as Float32Array, 4);
  assertCosines(bags, expected.get('bag_t')!.data as Float32Array, 4, 'bag_t');
  await encoder.close();
});

test('a model directory holds the encoder’s TensorFlow.js form, and queries through it answer as the ONNX encoder does', async () => {
  const wavs = await fixtureWavs();
  const dir = scratchDir('boiler-tfjs-enc-');
  const checkpoint = join(dir, 'vqvae_001.safetensors');
  const model = createVQVAE2('tiny', 3);
  writeSafetensors(checkpoint, model.stateDict());
  model.dispose();
  const indexed = await runBoiler(['index', '--wav-dir', wavs, '--checkpoint', checkpoint, 'BagBottomVQVAE']);
  assert.equal(indexed.code, 0, indexed.stderr);
  const modelDir = join(dir, 'vqvae_001', 'BagBottomVQVAE');
  assert.ok(existsSync(join(modelDir, 'encoder.tfjs.safetensors')));
  const query = ['query', '--model-dir', modelDir, join(FIXTURES, 'media', 'beat-2.mp4'), '-k', '3', '--json'];
  const viaOnnx = await runBoiler(query);
  const viaTfjs = await runBoiler(query, { env: { BOILER_ENCODER_RUNTIME: 'tfjs' } });
  assert.equal(viaOnnx.code, 0, viaOnnx.stderr);
  assert.equal(viaTfjs.code, 0, viaTfjs.stderr);
  type Answer = { neighbours: { coub_id: string; distance: number }[] }[];
  const onnx = (JSON.parse(viaOnnx.stdout) as Answer)[0].neighbours;
  const tfjs = (JSON.parse(viaTfjs.stdout) as Answer)[0].neighbours;
  assert.equal(onnx[0].coub_id, 'beat-2.wav');
  assert.deepEqual(tfjs.map((n) => n.coub_id), onnx.map((n) => n.coub_id));
  tfjs.forEach((n, i) => assert.ok(Math.abs(n.distance - onnx[i].distance) < 1e-3));
  const bad = await runBoiler(query, { env: { BOILER_ENCODER_RUNTIME: 'gpu' } });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /BOILER_ENCODER_RUNTIME is 'gpu': use onnx or tfjs/);
});

test('fromStateDict refuses weights that are not a VQ-VAE2', () => {
  const junk = new Map([['w', { dtype: 'F32' as const, shape: [CLIP_SAMPLES], data: new Float32Array(CLIP_SAMPLES) }]]);
  assert.throws(() => TfjsEncoder.fromStateDict(junk, 'BagTopVQVAE', 'junk.safetensors'), /junk\.safetensors is not a VQ-VAE2 checkpoint/);
});
