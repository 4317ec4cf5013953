import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadClip } from '../../src/audio/clip.js';
import { MEL, logMel } from '../../src/audio/mel.js';
import { chooseBackend } from '../../src/model/backend.js';
import { bagOfCodes, bagTop, meanOverMel } from '../../src/model/encoders.js';
import { toTorchLayout } from '../../src/model/state-dict.js';
import type { TensorMap } from '../../src/model/safetensors.js';
import { createVQVAE2, type VQVAE2 } from '../../src/model/vqvae.js';
import { PRESETS, parameterSpecs } from '../../src/model/vqvae2.js';
import { lossAndGradients } from '../../src/train/objective.js';
import { agreement, floats, referenceClip, referenceOutputs, referenceWeights, relativeError, worstRowCosine, type ReferenceSet } from './reference.js';

const CLIPS = 4;

/**
 * The tfjs model with a reference set's weights on its batch of 4 clips, against what the original
 * computed, on wasm (the backend that runs here, and the one that needed registered kernels for its
 * gradients). Skipped, with the set's one reason, where the set is not there.
 */
export function describeModelParity(set: ReferenceSet): void {
  describe(`the ${set.preset} model with the original's weights reproduces its outputs`, { skip: set.skip }, () => {
    let expected: TensorMap;
    let model: VQVAE2;
    let out: { recon: Float32Array; latentLoss: number; idT: Int32Array; idB: Int32Array; quantT: Float32Array; quantB: Float32Array; meanFreqT: Float32Array };
    let losses: { loss: number; recon: number; latent: number };
    let gradients: Map<string, Float32Array>;
    const scalar = (name: string) => floats(expected.get(name))[0];

    before(async () => {
      await chooseBackend('wasm');
      expected = referenceOutputs(set);
      model = createVQVAE2(set.preset);
      model.loadStateDict(referenceWeights(set), 'vqvae_reference.safetensors');
      const mel = tf.tensor3d(floats(expected.get('mel')), [CLIPS, MEL.nMels, MEL.frames]);

      const forwardStart = performance.now();
      const forward = model.forward(mel);
      out = {
        recon: forward.recon.dataSync() as Float32Array,
        latentLoss: forward.latentLoss.dataSync()[0],
        idT: forward.idT.dataSync() as Int32Array,
        idB: forward.idB.dataSync() as Int32Array,
        // NHWC → the reference's NCHW.
        quantT: tf.tidy(() => tf.transpose(forward.quantT, [0, 3, 1, 2]).dataSync() as Float32Array),
        quantB: tf.tidy(() => tf.transpose(forward.quantB, [0, 3, 1, 2]).dataSync() as Float32Array),
        meanFreqT: tf.tidy(() => meanOverMel(forward.quantT).dataSync() as Float32Array),
      };
      const forwardSeconds = (performance.now() - forwardStart) / 1000;
      tf.dispose(Object.values(forward));

      const trainStart = performance.now();
      const train = lossAndGradients(model, mel);
      const trainSeconds = (performance.now() - trainStart) / 1000;
      const specs = new Map(parameterSpecs(PRESETS[set.preset]).map((s) => [s.name, s]));
      gradients = new Map([...train.grads].map(([name, g]) => [name, tf.tidy(() => toTorchLayout(specs.get(name)!, g).dataSync() as Float32Array)]));
      losses = { loss: train.loss.dataSync()[0], recon: train.recon.dataSync()[0], latent: train.latent.dataSync()[0] };
      tf.dispose([...train.grads.values(), train.loss, train.recon, train.latent, train.idT, train.idB, mel]);
      console.log(`${set.preset} model, ${CLIPS} clips, wasm: forward ${forwardSeconds.toFixed(1)} s, forward + backward ${trainSeconds.toFixed(1)} s`);
    });

    test('top and bottom codes equal the reference (≥ 99%)', () => {
      assert.ok(agreement(out.idT, expected.get('id_t')) >= 0.99, `id_t agreement ${agreement(out.idT, expected.get('id_t'))}`);
      assert.ok(agreement(out.idB, expected.get('id_b')) >= 0.99, `id_b agreement ${agreement(out.idB, expected.get('id_b'))}`);
    });

    test('quantised latents quant_t and quant_b equal the reference within 1e-3 relative', () => {
      for (const [name, got] of [['quant_t', out.quantT], ['quant_b', out.quantB]] as const) {
        const error = relativeError(got, floats(expected.get(name)));
        assert.ok(error < 1e-3, `${name}: relative error ${error}`);
      }
    });

    test('reconstruction and latent loss equal the reference within 1e-3 relative', () => {
      const reconError = relativeError(out.recon, floats(expected.get('recon')));
      assert.ok(reconError < 1e-3, `recon: relative error ${reconError}`);
      const latentError = Math.abs(out.latentLoss / scalar('latent_loss') - 1);
      assert.ok(latentError < 1e-3, `latent_loss ${out.latentLoss} vs ${scalar('latent_loss')}`);
    });

    test('embeddings bag_t, bag_b and mean_freq_t have cosine ≥ 0.999 with the reference', () => {
      const cases = [
        ['bag_t', bagOfCodes(out.idT, CLIPS, PRESETS[set.preset].nEmbedTop)],
        ['bag_b', bagOfCodes(out.idB, CLIPS, PRESETS[set.preset].nEmbedBottom)],
        ['mean_freq_t', out.meanFreqT],
      ] as const;
      for (const [name, got] of cases) {
        const cosine = worstRowCosine(got, floats(expected.get(name)), CLIPS);
        assert.ok(cosine >= 0.999, `${name}: worst cosine ${cosine}`);
      }
    });

    test('training loss, reconstruction loss and latent loss equal the reference within 1e-3 relative', () => {
      for (const [key, got] of [['train.loss', losses.loss], ['train.recon_loss', losses.recon], ['train.latent_loss', losses.latent]] as const) {
        assert.ok(Math.abs(got / scalar(key) - 1) < 1e-3, `${key}: ${got} vs ${scalar(key)}`);
      }
    });

    test('the eight reference gradients match within 1e-3 relative (‖g − ref‖ / ‖ref‖) on wasm', () => {
      const names = [...expected.keys()].filter((k) => k.startsWith('grad.'));
      assert.equal(names.length, 8);
      for (const key of names) {
        const got = gradients.get(key.slice('grad.'.length));
        assert.ok(got, `no gradient for ${key}`);
        const error = relativeError(got, floats(expected.get(key)));
        assert.ok(error < 1e-3, `${key}: relative error ${error}`);
      }
    });

    test('wav to BagTop embedding end to end (loader, our mel, encoder) has cosine ≥ 0.999 with the reference', () => {
      const clips = new Float32Array(CLIPS * MEL.samples);
      for (let c = 0; c < CLIPS; c++) clips.set(loadClip(referenceClip(c, set)), c * MEL.samples);
      const ours = tf.tensor3d(logMel(clips, CLIPS), [CLIPS, MEL.nMels, MEL.frames]);
      const cosine = worstRowCosine(bagTop(model, ours), floats(expected.get('bag_t')), CLIPS);
      ours.dispose();
      assert.ok(cosine >= 0.999, `worst cosine ${cosine}`);
    });
  });
}
