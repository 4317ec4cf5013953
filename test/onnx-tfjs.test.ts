import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { CLIP_SAMPLES, loadClip } from '../src/audio/clip.js';
import { MEL, logMel } from '../src/audio/mel.js';
import { chooseBackend } from '../src/model/backend.js';
import { ENCODERS as TFJS_ENCODERS, embeddingSize } from '../src/model/encoders.js';
import { ENCODERS } from '../src/model/onnx/graph.js';
import { createVQVAE2 } from '../src/model/vqvae.js';
import { assertCodesAgree, assertCosines, runDebug } from './onnx/compare.js';

// The same tiny-preset weights (boiler train's CI and demo size) through both implementations:
// the ONNX graph built from the state_dict, and the tfjs model that training uses.
await chooseBackend('wasm');
const REFERENCE = new URL('../../shared/reference/', import.meta.url).pathname;
const CLIPS = 4;
const wavs = new Float32Array(CLIPS * CLIP_SAMPLES);
for (let i = 0; i < CLIPS; i++) wavs.set(loadClip(join(REFERENCE, `clip${i}.wav`)), i * CLIP_SAMPLES);
const model = createVQVAE2('tiny', 7);
const stateDict = model.stateDict();
const mel = tf.tensor3d(logMel(wavs, CLIPS), [CLIPS, MEL.nMels, MEL.frames]);
const encoded = model.encode(mel);
const tfjsCodes = { top: encoded.idT.dataSync(), bottom: encoded.idB.dataSync() };
tf.dispose(Object.values(encoded));

test('the ONNX encoders match the tfjs VQ-VAE2 on the tiny preset: codes ≥ 99% equal, embeddings cosine ≥ 0.999', async () => {
  for (const encoder of ENCODERS) {
    const out = await runDebug(stateDict, encoder, wavs, CLIPS);
    assert.deepEqual(out.embedding.dims, [CLIPS, embeddingSize(model, encoder)]);
    assertCodesAgree(out.codes_t.data as BigInt64Array, tfjsCodes.top, CLIPS, 1, 23, `${encoder} top codes`);
    if (encoder === 'BagBottomVQVAE') assertCodesAgree(out.codes_b.data as BigInt64Array, tfjsCodes.bottom, CLIPS, 19, 63, 'bottom codes');
    assertCosines(out.embedding.data as Float32Array, TFJS_ENCODERS[encoder](model, mel), CLIPS, encoder);
  }
});
