import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { CLIP_SAMPLES, loadClip } from '../src/audio/clip.js';
import { logMel } from '../src/audio/mel.js';
import { UserError } from '../src/errors.js';
import { GraphBuilder } from '../src/model/onnx/builder.js';
import { ORIGINAL_ENCODERS, type OriginalEncoderName } from '../src/model/encoders.js';
import { buildEncoderOnnx } from '../src/model/onnx/graph.js';
import { encodeModel } from '../src/model/onnx/proto.js';
import { OnnxEncoder } from '../src/model/onnx/runtime.js';
import type { TensorMap } from '../src/model/safetensors.js';
import { PRESETS } from '../src/model/vqvae2.js';
import { assertCodesAgree, assertCosines, runDebug } from './onnx/compare.js';
import { scratchDir } from './helpers/scratch.js';
import { PAPER_REFERENCE, TINY_REFERENCE, floats, referenceClip, referenceOutputs, referenceWeights, type ReferenceSet } from './model/reference.js';

const CLIPS = 4;

const REFERENCE_EMBEDDING: Record<OriginalEncoderName, string> = {
  BagTopVQVAE: 'bag_t',
  BagBottomVQVAE: 'bag_b',
  MeanFreqTopVQVAE: 'mean_freq_t',
};

const scratch = scratchDir('boiler-onnx-');

/** The ONNX encoders built from a reference set's weights against the original's outputs; skipped where the set is not there. */
function describeOnnxParity(set: ReferenceSet): void {
  describe(`the ONNX encoders of the ${set.preset} preset reproduce the original`, { skip: set.skip }, () => {
    let weights: TensorMap;
    let expected: TensorMap;
    let input: Float32Array;
    let topDimension: number;
    before(() => {
      weights = referenceWeights(set);
      expected = referenceOutputs(set);
      input = floats(expected.get('input'));
      topDimension = PRESETS[set.preset].embedDim * 23;
    });

    test('the ONNX log-mel matches the original Audio2Mel and the float64 frontend (1e-4 above 1e-3, float32 noise below)', async () => {
      const { log_mel } = await runDebug(weights, 'BagTopVQVAE', input, CLIPS);
      const ours = log_mel.data as Float32Array;
      assert.deepEqual(log_mel.dims, [CLIPS, 1, 80, 256]);
      for (const [name, want] of [['reference', floats(expected.get('mel'))], ['logMel', logMel(input, CLIPS)]] as const) {
        let worstAbove = 0;
        let worstBelow = 0;
        for (let i = 0; i < want.length; i++) {
          const difference = Math.abs(ours[i] - want[i]);
          if (want[i] >= -3) worstAbove = Math.max(worstAbove, difference);
          else worstBelow = Math.max(worstBelow, difference);
        }
        assert.ok(worstAbove < 1e-4, `${name}: max abs difference ${worstAbove} where mel ≥ 1e-3`);
        assert.ok(worstBelow < 1e-2, `${name}: max abs difference ${worstBelow} where mel < 1e-3`);
      }
    });

    test("the top codes, quant_t and the original's three embeddings match it (codes ≥ 99%, cosine ≥ 0.999)", async () => {
      for (const encoder of ORIGINAL_ENCODERS) {
        const out = await runDebug(weights, encoder, input, CLIPS);
        assertCodesAgree(out.codes_t.data as BigInt64Array, expected.get('id_t')!.data as BigInt64Array, CLIPS, 1, 23, `${encoder} top codes`);
        assertCosines(out.quant_t.data as Float32Array, floats(expected.get('quant_t')), CLIPS, `${encoder} quant_t`);
        const reference = expected.get(REFERENCE_EMBEDDING[encoder])!;
        assert.deepEqual(out.embedding.dims, reference.shape);
        assertCosines(out.embedding.data as Float32Array, floats(reference), CLIPS, encoder);
        if (encoder === 'BagBottomVQVAE') {
          assertCodesAgree(out.codes_b.data as BigInt64Array, expected.get('id_b')!.data as BigInt64Array, CLIPS, 19, 63, 'bottom codes');
        }
      }
    });

    test('OnnxEncoder embeds the reference wav files, from bytes and from an encoder.onnx file', async () => {
      const wavs = new Float32Array(CLIPS * CLIP_SAMPLES);
      for (let i = 0; i < CLIPS; i++) wavs.set(loadClip(referenceClip(i, set)), i * CLIP_SAMPLES);
      const path = join(scratch, `encoder-${set.preset}.onnx`);
      writeFileSync(path, buildEncoderOnnx(weights, 'BagTopVQVAE'));
      for (const source of [path, buildEncoderOnnx(weights, 'BagTopVQVAE')]) {
        const encoder = await OnnxEncoder.load(source);
        try {
          assert.equal(encoder.dimension, 64);
          const embeddings = await encoder.embed(wavs, CLIPS);
          assertCosines(embeddings, floats(expected.get('bag_t')), CLIPS, 'OnnxEncoder');
          // One clip alone gives the same row as in the batch.
          assert.deepEqual(await encoder.embed(wavs.subarray(CLIP_SAMPLES, 2 * CLIP_SAMPLES), 1), embeddings.subarray(64, 128));
          assert.equal((await encoder.embed(new Float32Array(0), 0)).length, 0);
          await assert.rejects(encoder.embed(wavs, 3), RangeError);
        } finally {
          await encoder.close();
        }
      }
      const meanFreq = await OnnxEncoder.load(buildEncoderOnnx(weights, 'MeanFreqTopVQVAE'));
      assert.equal(meanFreq.dimension, topDimension);
      await meanFreq.close();
    });
  });
}

describeOnnxParity(TINY_REFERENCE);
describeOnnxParity(PAPER_REFERENCE);

test('OnnxEncoder.load refuses a missing file, a non-ONNX file and an ONNX model that is not an encoder', async () => {
  await assert.rejects(OnnxEncoder.load(join(scratch, 'missing.onnx')), (error: Error) => error instanceof UserError && /cannot read .*missing\.onnx/.test(error.message));
  const garbage = join(scratch, 'garbage.onnx');
  writeFileSync(garbage, 'not a model');
  await assert.rejects(OnnxEncoder.load(garbage), (error: Error) => error instanceof UserError && /garbage\.onnx is not an ONNX model/.test(error.message));
  const g = new GraphBuilder();
  g.output(g.input({ name: 'x', type: 'float', shape: [2] }), { name: 'y', type: 'float', shape: [2] });
  const identity = encodeModel({ opset: 17, producer: 'test', graph: g.graph('identity') });
  await assert.rejects(OnnxEncoder.load(identity), (error: Error) => error instanceof UserError && /is not a boiler encoder/.test(error.message));
});

test('a checkpoint that is not a VQ-VAE2 is refused with one line naming the tensor', () => {
  const weights = referenceWeights();
  const missing = new Map(weights);
  missing.delete('enc_t.0.weight');
  assert.throws(() => buildEncoderOnnx(missing, 'BagTopVQVAE'), (error: Error) => error instanceof UserError && /has no tensor enc_t\.0\.weight/.test(error.message));
  const reshaped = new Map(weights);
  reshaped.set('enc_t.0.weight', { dtype: 'F32', shape: [8, 16, 3, 3], data: new Float32Array(8 * 16 * 9) });
  assert.throws(
    () => buildEncoderOnnx(reshaped, 'BagTopVQVAE'),
    (error: Error) => error instanceof UserError && /enc_t\.0\.weight is 8×16×3×3, where a boiler VQ-VAE2 has \?×16×20×20/.test(error.message),
  );
  const otherCodebook = new Map(weights);
  otherCodebook.set('quantize_b.embedding0', { dtype: 'F32', shape: [1, 512, 32], data: new Float32Array(512 * 32) });
  assert.throws(() => buildEncoderOnnx(otherCodebook, 'BagBottomVQVAE'), (error: Error) => error instanceof UserError && /quantize_b\.embedding0 is 1×512×32/.test(error.message));
  // The top encoders never read the bottom codebook.
  assert.ok(buildEncoderOnnx(otherCodebook, 'BagTopVQVAE').length > 0);
  const integer = new Map(weights);
  integer.set('enc_b.0.bias', { dtype: 'I32', shape: [8], data: new Int32Array(8) });
  assert.throws(() => buildEncoderOnnx(integer, 'MeanFreqTopVQVAE'), (error: Error) => error instanceof UserError && /enc_b\.0\.bias is I32/.test(error.message));
});
