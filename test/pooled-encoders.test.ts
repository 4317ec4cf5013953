import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend } from '../src/model/backend.js';
import { TFJS_EMBEDDINGS, embeddingSize, poolOverTime } from '../src/model/encoders.js';
import { createVQVAE2 } from '../src/model/vqvae.js';

before(async () => {
  await chooseBackend('wasm');
});

test('poolOverTime: per row and channel, the mean over time, then the population std, rows before channels', () => {
  // One clip, 2 rows × 3 frames × 2 channels (NHWC).
  const rows = [
    [[1, 10], [2, 20], [3, 30]],
    [[0, 5], [0, 5], [6, 5]],
  ];
  const pooled = tf.tidy(() => poolOverTime(tf.tensor4d([rows])).dataSync());
  const std = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b) / values.length;
    return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  };
  const expected = [2, 20, 2, 5, std([1, 2, 3]), std([10, 20, 30]), std([0, 0, 6]), 0];
  assert.equal(pooled.length, expected.length);
  expected.forEach((want, i) => assert.ok(Math.abs(pooled[i] - want) < 1e-5, `entry ${i}: ${pooled[i]} ≠ ${want}`));
});

test('the pooled encoders summarise the bottom encoder: sizes by preset, and different clips get different vectors', () => {
  for (const preset of ['tiny', 'paper'] as const) {
    const model = createVQVAE2(preset, 1);
    assert.equal(embeddingSize(model, 'PooledFirstLayerVQVAE'), 2 * 38 * (model.config.channel / 2));
    assert.equal(embeddingSize(model, 'PooledBottomVQVAE'), 2 * 19 * model.config.channel);
    model.dispose();
  }
  const model = createVQVAE2('tiny', 1);
  // A quiet and a loud mel with structure along time: their pooled activations must differ.
  const mel = tf.tidy(() => tf.stack([tf.fill([80, 256], -5), tf.add(tf.fill([80, 256], -1), tf.sin(tf.linspace(0, 40, 80 * 256).reshape([80, 256])))]) as tf.Tensor3D);
  for (const encoder of ['PooledFirstLayerVQVAE', 'PooledBottomVQVAE'] as const) {
    const rows = TFJS_EMBEDDINGS[encoder](model, mel);
    const size = embeddingSize(model, encoder);
    assert.equal(rows.length, 2 * size);
    const [a, b] = [rows.subarray(0, size), rows.subarray(size)];
    assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-4), `${encoder} gives both clips the same vector`);
    assert.ok(rows.every((v) => Number.isFinite(v)), `${encoder} has a non-finite entry`);
  }
  mel.dispose();
  model.dispose();
});
