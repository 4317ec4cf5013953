import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CLIP_SAMPLES, loadClip } from '../src/audio/clip.js';
import { MEL, logMel } from '../src/audio/mel.js';
import { chooseBackend } from '../src/model/backend.js';
import { TFJS_EMBEDDINGS, embeddingSize } from '../src/model/encoders.js';
import { ENCODER_NAMES } from '../src/model/encoders.js';
import { createVQVAE2, type VQVAE2 } from '../src/model/vqvae.js';
import { referenceClip } from './model/reference.js';
import { assertCodesAgree, assertCosines, runDebug } from './onnx/compare.js';

// The same tiny-preset weights (boiler train's CI and demo size) through both implementations:
// the ONNX graph built from the state_dict, and the tfjs model that training uses.
const CLIPS = 4;
let model: VQVAE2;
let wavs: Float32Array;
let mel: tf.Tensor3D;
let tfjsCodes: { top: Int32Array; bottom: Int32Array };

before(async () => {
  await chooseBackend('wasm');
  wavs = new Float32Array(CLIPS * CLIP_SAMPLES);
  for (let i = 0; i < CLIPS; i++) wavs.set(loadClip(referenceClip(i)), i * CLIP_SAMPLES);
  model = createVQVAE2('tiny', 7);
  mel = tf.tensor3d(logMel(wavs, CLIPS), [CLIPS, MEL.nMels, MEL.frames]);
  const encoded = model.encode(mel);
  tfjsCodes = { top: encoded.idT.dataSync() as Int32Array, bottom: encoded.idB.dataSync() as Int32Array };
  tf.dispose(Object.values(encoded));
});

test('the ONNX encoders match the tfjs VQ-VAE2 on the tiny preset: codes ≥ 99% equal, embeddings cosine ≥ 0.999', async () => {
  for (const encoder of ENCODER_NAMES) {
    const out = await runDebug(model.stateDict(), encoder, wavs, CLIPS);
    assert.deepEqual(out.embedding.dims, [CLIPS, embeddingSize(model, encoder)]);
    assertCodesAgree(out.codes_t.data as BigInt64Array, tfjsCodes.top, CLIPS, 1, 23, `${encoder} top codes`);
    if (encoder === 'BagBottomVQVAE') assertCodesAgree(out.codes_b.data as BigInt64Array, tfjsCodes.bottom, CLIPS, 19, 63, 'bottom codes');
    assertCosines(out.embedding.data as Float32Array, TFJS_EMBEDDINGS[encoder](model, mel), CLIPS, encoder);
  }
});
