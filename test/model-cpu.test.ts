import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MEL } from '../src/audio/mel.js';
import { chooseBackend } from '../src/model/backend.js';
import { createVQVAE2 } from '../src/model/vqvae.js';
import { agreement, floats, referenceOutputs, referenceWeights, relativeError } from './model/reference.js';

// The tiny model with the original's weights on the pure-JS cpu backend (about 25× slower than wasm here): the forward pass
// of the first reference clip only. Its gradients use tfjs's own cpu kernels, which
// test/model-kernels.test.ts compares with ours on wasm.
test('on the cpu backend the tiny model with the reference weights reproduces clip 0: codes, latents and reconstruction', async () => {
  await chooseBackend('cpu');
  const expected = referenceOutputs();
  const model = createVQVAE2('tiny');
  model.loadStateDict(referenceWeights());
  const frame = MEL.nMels * MEL.frames;
  const mel = tf.tensor3d(floats(expected.get('mel')).subarray(0, frame), [1, MEL.nMels, MEL.frames]);
  const started = performance.now();
  const out = model.forward(mel);
  console.log(`tiny model forward, 1 clip, cpu: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const firstClip = (name: string, size: number) => floats(expected.get(name)).subarray(0, size);
  assert.ok(relativeError(out.recon.dataSync(), firstClip('recon', frame)) < 1e-3);
  const quantB = tf.tidy(() => tf.transpose(out.quantB, [0, 3, 1, 2]).dataSync());
  assert.ok(relativeError(quantB, firstClip('quant_b', quantB.length)) < 1e-3);
  const idT = expected.get('id_t')!;
  const idB = expected.get('id_b')!;
  const clip0 = (t: typeof idT, size: number) => ({ ...t, shape: [1, ...t.shape.slice(1)], data: (t.data as BigInt64Array).subarray(0, size) });
  assert.ok(agreement(out.idT.dataSync(), clip0(idT, 23)) >= 0.99);
  assert.ok(agreement(out.idB.dataSync(), clip0(idB, 63 * 19)) >= 0.99);
  tf.dispose([mel, ...Object.values(out)]);
  model.dispose();
});
